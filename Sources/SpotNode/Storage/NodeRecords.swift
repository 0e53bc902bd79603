import Foundation
import GRDB
import SpotCore
import SpotSync

// One record type per table of the node's database. Columns are snake_case,
// UUIDs are stored as lowercase text (readable with the sqlite3 shell).

/// Shared column conventions of the node's records.
protocol NodeRecord: Codable, FetchableRecord, PersistableRecord {}

extension NodeRecord {
    static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy {
        .custom { key in SyncJSON.wireName(key.stringValue) }
    }
    static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy {
        .custom { column in NodeColumnKey(SyncJSON.swiftName(column)) }
    }
    static func databaseUUIDEncodingStrategy(for column: String) -> DatabaseUUIDEncodingStrategy { .lowercaseString }
    static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
    static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }
}

struct NodeColumnKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension UUID {
    /// The text form the node's database stores.
    var text: String { lowercasedText }
}

/// `node_identity`: who this node is (one row), including its device key seed.
struct NodeIdentityRow: NodeRecord {
    static let databaseTableName = "node_identity"
    var id = 1
    var nodeID: UUID
    var name: String
    var venueID: UUID
    var venueName: String
    var organizerID: UUID
    var serverURL: String
    var deviceSeed: Data
    var enrolledAt: Date
}

/// `sync_state`: the node's side of the protocol (one row).
struct SyncStateRow: NodeRecord {
    static let databaseTableName = "sync_state"
    var id = 1
    var token: String
    var tokenExpiresAt: Date
    /// Where the change feed continues; nil until the first snapshot.
    var cursor: String?
    /// The hybrid logical clock's last reading (packed).
    var hlc: Int64
    var clockOffsetMs: Int64?
    var clockSkewError: String?
    var lastMutationID: Int64
    var lastPullAt: Date?
    var lastPushAt: Date?
    var lastAttemptAt: Date?
    var lastSuccessAt: Date?
    var lastError: String?
    var protocolVersion: Int?
    /// Bumped by every change to the replica, so caches know to reload.
    var replicaVersion: Int64
}

/// `events`
struct EventRow: NodeRecord {
    static let databaseTableName = "events"
    var id: UUID
    var venueID: UUID
    var title: String
    var startsAt: Date
    var endsAt: Date
    var status: SyncEventStatus
    var reentryPolicy: ReentryPolicy
}

/// `ticket_types`
struct TicketTypeRow: NodeRecord {
    static let databaseTableName = "ticket_types"
    var id: UUID
    var eventID: UUID
    var name: String
    var priceMinor: Int64
    var currency: String
}

/// `tickets`: every ticket of the venue's events (online and door-sold).
struct TicketRow: NodeRecord {
    static let databaseTableName = "tickets"
    var id: UUID
    var eventID: UUID
    var ticketTypeID: UUID
    var issueVersion: Int64
    var status: String
}

/// `revocations`: the governing revocation of a ticket.
struct RevocationRow: NodeRecord {
    static let databaseTableName = "revocations"
    var ticketID: UUID
    var issueVersion: Int64
    var reason: RevocationReason
}

/// `issuer_keys`: the organizer's public key ring.
struct IssuerKeyRow: NodeRecord {
    static let databaseTableName = "issuer_keys"
    var keyID: String
    var publicKey: Data
    var status: String
    var verifiesUntil: Date?
}

/// `device_certificates`: the venue's certified device keys (this node's included).
struct DeviceCertificateRow: NodeRecord {
    static let databaseTableName = "device_certificates"
    var deviceKeyID: String
    var nodeID: UUID
    var notAfter: Date
    var certificate: Data
}

/// `allotments`: seats this node holds per ticket type, as the server last said.
struct AllotmentRow: NodeRecord {
    static let databaseTableName = "allotments"
    var ticketTypeID: UUID
    var eventID: UUID
    var granted: Int
    var serverSold: Int
    /// The last of this node's mutations `granted` reflects.
    var asOfMutationID: Int64
}

/// `door_sales`
struct DoorSaleRow: NodeRecord {
    static let databaseTableName = "door_sales"
    var id: UUID
    var eventID: UUID
    var ticketTypeID: UUID
    var quantity: Int
    var paymentMethod: PaymentMethod
    var amountMinor: Int64
    var currency: String
    var hlc: Int64
    var soldAt: Date
}

/// `door_tickets`: tickets this node sold, with their payloads (for QR codes).
struct DoorTicketRow: NodeRecord {
    static let databaseTableName = "door_tickets"
    var id: UUID
    var saleID: UUID
    var payload: String
}

/// `door_releases`: seats this node gave back, by the mutation that carries them.
struct DoorReleaseRow: NodeRecord {
    static let databaseTableName = "door_releases"
    var mutationID: Int64
    var ticketTypeID: UUID
    var quantity: Int
}

/// `outbox`: facts waiting to be pushed, in mutation id order.
struct OutboxRow: NodeRecord {
    static let databaseTableName = "outbox"
    var mutationID: Int64?
    var kind: SyncMutation.Kind
    /// The mutation's JSON body (a scan, sale or release).
    var body: String
    var createdAt: Date
}

/// `rejected_mutations`: what the server refused for good, kept for the operator.
struct RejectedMutationRow: NodeRecord {
    static let databaseTableName = "rejected_mutations"
    var mutationID: Int64
    var kind: SyncMutation.Kind
    var body: String
    var code: String
    var message: String
    var rejectedAt: Date
}

/// `conflicts`: the server's conflict records about this venue.
struct ConflictRow: NodeRecord {
    static let databaseTableName = "conflicts"
    var id: UUID
    var ticketID: UUID?
    /// The conflict as the server sent it (JSON).
    var body: String
}

/// `staff_pin`: the bcrypt hash of the PIN door staff sign in with (one row).
struct StaffPINRow: NodeRecord {
    static let databaseTableName = "staff_pin"
    var id = 1
    var hash: String
    var setAt: Date
}
