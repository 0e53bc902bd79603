import Foundation
import SpotCore

/// An event of the node's venue, as the server owns it (`SyncProtocol/README.md` §5.1).
public struct SyncEvent: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var venueID: UUID
    public var title: String
    public var startsAt: Date
    public var endsAt: Date
    public var status: SyncEventStatus
    /// An unknown policy decodes as `unrecognized`, which admits no one.
    public var reentryPolicy: ReentryPolicy

    public init(
        id: UUID, venueID: UUID, title: String, startsAt: Date, endsAt: Date, status: SyncEventStatus,
        reentryPolicy: ReentryPolicy
    ) {
        self.id = id
        self.venueID = venueID
        self.title = title
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.status = status
        self.reentryPolicy = reentryPolicy
    }
}

/// What an event is to a node: on sale and admitting, cancelled, or gone from its replica.
public enum SyncEventStatus: String, Vocabulary {
    case published
    case cancelled
    /// Returned to draft, or moved to another venue: the node removes it (a node never sees drafts).
    case withdrawn

    public static let vocabularyName = "event status"
}

/// A ticket type of one of the venue's events.
public struct SyncTicketType: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var eventID: UUID
    public var name: String
    @InRange<Bounds.PriceMinor> public var priceMinor: Int64
    public var currency: String

    public init(id: UUID, eventID: UUID, name: String, priceMinor: Int64, currency: String) {
        self.id = id
        self.eventID = eventID
        self.name = name
        self.priceMinor = priceMinor
        self.currency = currency
    }
}

/// A ticket of one of the venue's events and its governing revocation, if any.
public struct SyncTicket: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var eventID: UUID
    @LowercaseUUID public var ticketTypeID: UUID
    @InRange<Bounds.IssueVersion> public var issueVersion: UInt32
    /// Issue versions up to this one no longer admit (absent: not revoked).
    public var revokedVersion: UInt32?
    /// Why, with `revoked_version`; an unknown reason decodes as `unrecognized` and still revokes.
    public var revokedReason: RevocationReason?

    public init(
        id: UUID, eventID: UUID, ticketTypeID: UUID, issueVersion: UInt32, revokedVersion: UInt32? = nil,
        revokedReason: RevocationReason? = nil
    ) {
        self.id = id
        self.eventID = eventID
        self.ticketTypeID = ticketTypeID
        self.issueVersion = issueVersion
        self.revokedVersion = revokedVersion
        self.revokedReason = revokedReason
    }

    /// The revocation the verdict function should know about: any revoked version revokes,
    /// whatever its reason (a missing one counts as `unrecognized`).
    public var revocation: Revocation? {
        guard let revokedVersion else { return nil }
        return Revocation(ticketID: id, issueVersion: revokedVersion, reason: revokedReason ?? .unrecognized)
    }
}

/// A scan (check-in or exit) created by a node — or by the server itself for online
/// check-ins, under the all-zero node id. Immutable once created.
public struct SyncScan: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var ticketID: UUID
    @InRange<Bounds.IssueVersion> public var issueVersion: UInt32
    @LowercaseUUID public var eventID: UUID
    public var direction: ScanDirection
    /// ``FieldLimits/gateName`` characters.
    public var gate: String
    @LowercaseUUID public var nodeID: UUID
    public var hlc: HLCTimestamp
    /// The verdict the scanning node (or the server, online) gave.
    public var verdict: VerdictCode

    public init(
        id: UUID, ticketID: UUID, issueVersion: UInt32, eventID: UUID, direction: ScanDirection, gate: String,
        nodeID: UUID, hlc: HLCTimestamp, verdict: VerdictCode
    ) {
        self.id = id
        self.ticketID = ticketID
        self.issueVersion = issueVersion
        self.eventID = eventID
        self.direction = direction
        self.gate = gate
        self.nodeID = nodeID
        self.hlc = hlc
        self.verdict = verdict
    }

    /// The core's view of an accepted scan, or nil for a refused one.
    public var acceptedRecord: ScanRecord? {
        guard verdict == .ok else { return nil }
        return ScanRecord(
            scanID: id, ticketID: ticketID, issueVersion: issueVersion, direction: direction, gate: gate, nodeID: nodeID,
            at: hlc)
    }
}

/// A ticket sold at the door, signed by the selling node's certified device key.
public struct SyncSoldTicket: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    /// The ticket's payload text (what its QR code holds).
    public var payload: String

    public init(id: UUID, payload: String) {
        self.id = id
        self.payload = payload
    }
}

/// A door sale: money taken at the node, tickets issued there.
public struct SyncSale: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var nodeID: UUID
    @LowercaseUUID public var eventID: UUID
    @LowercaseUUID public var ticketTypeID: UUID
    @InRange<Bounds.DoorSaleQuantity> public var quantity: Int
    public var paymentMethod: PaymentMethod
    /// What the buyer paid for all `quantity` tickets, in minor units.
    @InRange<Bounds.DoorSaleAmountMinor> public var amountMinor: Int64
    public var currency: String
    public var hlc: HLCTimestamp
    public var tickets: [SyncSoldTicket]

    public init(
        id: UUID, nodeID: UUID, eventID: UUID, ticketTypeID: UUID, quantity: Int, paymentMethod: PaymentMethod,
        amountMinor: Int64, currency: String, hlc: HLCTimestamp, tickets: [SyncSoldTicket]
    ) {
        self.id = id
        self.nodeID = nodeID
        self.eventID = eventID
        self.ticketTypeID = ticketTypeID
        self.quantity = quantity
        self.paymentMethod = paymentMethod
        self.amountMinor = amountMinor
        self.currency = currency
        self.hlc = hlc
        self.tickets = tickets
    }
}

/// The seats of one ticket type held by one node for door sales.
public struct SyncAllotment: Codable, Sendable, Equatable {
    @LowercaseUUID public var ticketTypeID: UUID
    @LowercaseUUID public var eventID: UUID
    /// Seats the node holds in total, sold ones included.
    @InRange<Bounds.AllotmentSeats> public var granted: Int
    /// Door sales of this node the server has applied.
    @InRange<Bounds.AllotmentSeats> public var sold: Int

    public init(ticketTypeID: UUID, eventID: UUID, granted: Int, sold: Int) {
        self.ticketTypeID = ticketTypeID
        self.eventID = eventID
        self.granted = granted
        self.sold = sold
    }
}

/// A contradiction between a node's fact and central state, recorded by the server
/// (`SyncProtocol/README.md` §7). The fact itself is always kept.
public struct SyncConflict: Codable, Sendable, Equatable {
    public var kind: ConflictKind
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var eventID: UUID
    @LowercaseUUID public var nodeID: UUID
    @LowercaseOptionalUUID public var ticketID: UUID?
    /// The scan this conflict is about (not admitted, for `duplicate_admission`).
    @LowercaseOptionalUUID public var scanID: UUID?
    @LowercaseOptionalUUID public var saleID: UUID?
    /// For `duplicate_admission`: the scan that counts as the admission, where and when.
    @LowercaseOptionalUUID public var admittedScanID: UUID?
    public var admittedGate: String?
    @LowercaseOptionalUUID public var admittedNodeID: UUID?
    public var admittedHLC: HLCTimestamp?
    /// One sentence for the organizer and the door screen.
    public var message: String
    public var createdAt: Date

    /// Key names as ``SyncJSON`` maps them (`admitted_hlc` reads back as `admittedHlc`).
    enum CodingKeys: String, CodingKey {
        case kind, id, eventID, nodeID, ticketID, scanID, saleID, admittedScanID, admittedGate, admittedNodeID
        case admittedHLC = "admittedHlc"
        case message, createdAt
    }

    public init(
        kind: ConflictKind, id: UUID, eventID: UUID, nodeID: UUID, ticketID: UUID? = nil, scanID: UUID? = nil,
        saleID: UUID? = nil, admittedScanID: UUID? = nil, admittedGate: String? = nil, admittedNodeID: UUID? = nil,
        admittedHLC: HLCTimestamp? = nil, message: String, createdAt: Date
    ) {
        self.kind = kind
        self.id = id
        self.eventID = eventID
        self.nodeID = nodeID
        self.ticketID = ticketID
        self.scanID = scanID
        self.saleID = saleID
        self.admittedScanID = admittedScanID
        self.admittedGate = admittedGate
        self.admittedNodeID = admittedNodeID
        self.admittedHLC = admittedHLC
        self.message = message
        self.createdAt = createdAt
    }
}

/// The node's clock when it sent a request: its hybrid logical clock and its wall clock.
public struct SyncClockReading: Codable, Sendable, Equatable {
    public var hlc: HLCTimestamp
    @InRange<Bounds.WallMilliseconds> public var wallMilliseconds: Int64

    public init(hlc: HLCTimestamp, wallMilliseconds: Int64) {
        self.hlc = hlc
        self.wallMilliseconds = wallMilliseconds
    }
}

/// A node's device credential: a system token, valid 30 days and rotated during sync.
public struct SyncCredential: Codable, Sendable, Equatable {
    public var token: String
    public var expiresAt: Date

    public init(token: String, expiresAt: Date) {
        self.token = token
        self.expiresAt = expiresAt
    }
}
