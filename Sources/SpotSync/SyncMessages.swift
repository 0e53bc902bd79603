import Foundation
import Crypto
import SpotCore

// The messages of sync protocol v1 (`SyncProtocol/README.md`). Every request states
// `protocol_version`; every response repeats the version the server answered in.

/// A message a node sends: each states the protocol version it is written in.
public protocol SyncRequestMessage: Codable {
    var protocolVersion: Int { get }
}

/// Who a node is, as the server enrolled it.
public struct SyncNodeInfo: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var name: String
    @LowercaseUUID public var venueID: UUID
    public var venueName: String
    @LowercaseUUID public var organizerID: UUID

    public init(id: UUID, name: String, venueID: UUID, venueName: String, organizerID: UUID) {
        self.id = id
        self.name = name
        self.venueID = venueID
        self.venueName = venueName
        self.organizerID = organizerID
    }
}

/// `POST /api/v1/sync/enroll`: a one-time code from the organizer and the node's device key.
public struct EnrollRequest: SyncRequestMessage, Sendable, Equatable {
    public var protocolVersion: Int
    public var code: String
    /// The node's Ed25519 device public key, 32 bytes in base64.
    public var devicePublicKey: String
    public var name: String

    public init(protocolVersion: Int = SyncProtocolVersion.current.rawValue, code: String, devicePublicKey: String, name: String) {
        self.protocolVersion = protocolVersion
        self.code = code
        self.devicePublicKey = devicePublicKey
        self.name = name
    }
}

public struct EnrollResponse: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    public var node: SyncNodeInfo
    public var credential: SyncCredential

    public init(protocolVersion: Int, node: SyncNodeInfo, credential: SyncCredential) {
        self.protocolVersion = protocolVersion
        self.node = node
        self.credential = credential
    }
}

/// `POST /api/v1/sync/snapshot`: the node's whole venue at one instant, to start from.
public struct SnapshotRequest: SyncRequestMessage, Sendable, Equatable {
    public var protocolVersion: Int
    public var clock: SyncClockReading

    public init(protocolVersion: Int = SyncProtocolVersion.current.rawValue, clock: SyncClockReading) {
        self.protocolVersion = protocolVersion
        self.clock = clock
    }
}

public struct Snapshot: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    /// Where to follow the change feed from.
    public var cursor: String
    public var serverTime: HLCTimestamp
    public var node: SyncNodeInfo
    public var events: [SyncEvent]
    public var ticketTypes: [SyncTicketType]
    public var tickets: PackedTickets
    public var scans: [SyncScan]
    public var conflicts: [SyncConflict]
    public var trust: TrustBundle
    public var allotments: [SyncAllotment]
    /// The node's highest mutation id the server has logged; `allotments` reflect every
    /// mutation up to it (and none after).
    public var lastMutationID: Int64
    /// A fresh device credential when the current one is due for rotation.
    public var credential: SyncCredential?

    public init(
        protocolVersion: Int, cursor: String, serverTime: HLCTimestamp, node: SyncNodeInfo, events: [SyncEvent],
        ticketTypes: [SyncTicketType], tickets: PackedTickets, scans: [SyncScan], conflicts: [SyncConflict],
        trust: TrustBundle, allotments: [SyncAllotment], lastMutationID: Int64, credential: SyncCredential?
    ) {
        self.protocolVersion = protocolVersion
        self.cursor = cursor
        self.serverTime = serverTime
        self.node = node
        self.events = events
        self.ticketTypes = ticketTypes
        self.tickets = tickets
        self.scans = scans
        self.conflicts = conflicts
        self.trust = trust
        self.allotments = allotments
        self.lastMutationID = lastMutationID
        self.credential = credential
    }
}

/// `POST /api/v1/sync/pull`: the next page of the change feed after `cursor`.
public struct PullRequest: SyncRequestMessage, Sendable, Equatable {
    public static let defaultLimit = 1000

    public var protocolVersion: Int
    public var cursor: String
    /// At most this many changes (``FieldLimits/pullPageSize``; default ``defaultLimit``).
    public var limit: Int?
    public var clock: SyncClockReading
    /// Mutations waiting in the node's outbox, reported for the server's sync-health view.
    @InRange<Bounds.OutboxDepth> public var outboxDepth: Int
    /// v2: when the feed has nothing after `cursor`, how long the server may hold the pull
    /// open waiting for a change (``FieldLimits/pullWaitSeconds``; absent or 0: answer at once).
    public var waitSeconds: Int?
    /// v2: the `state_digest` of the last page the node applied; the server holds the pull
    /// only while the node's trust, allotments and mutation id are still current.
    public var stateDigest: String?

    enum CodingKeys: String, CodingKey {
        case protocolVersion, cursor, limit, clock, outboxDepth, waitSeconds, stateDigest
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        protocolVersion = try container.decode(Int.self, forKey: .protocolVersion)
        cursor = try container.decode(String.self, forKey: .cursor)
        limit = try container.decodeIfPresent(InRange<Bounds.PullPageSize>.self, forKey: .limit)?.wrappedValue
        clock = try container.decode(SyncClockReading.self, forKey: .clock)
        _outboxDepth = try container.decode(InRange<Bounds.OutboxDepth>.self, forKey: .outboxDepth)
        waitSeconds = try container.decodeIfPresent(InRange<Bounds.PullWaitSeconds>.self, forKey: .waitSeconds)?.wrappedValue
        stateDigest = try container.decodeIfPresent(String.self, forKey: .stateDigest)
    }

    public init(
        protocolVersion: Int = SyncProtocolVersion.current.rawValue, cursor: String, limit: Int? = nil,
        clock: SyncClockReading, outboxDepth: Int, waitSeconds: Int? = nil, stateDigest: String? = nil
    ) {
        self.protocolVersion = protocolVersion
        self.cursor = cursor
        self.limit = limit
        self.clock = clock
        self.outboxDepth = outboxDepth
        self.waitSeconds = waitSeconds
        self.stateDigest = stateDigest
    }
}

/// One change of the feed: the current state of one entity (the server always wins).
public enum SyncChange: Codable, Sendable, Equatable {
    case event(SyncEvent)
    case ticketType(SyncTicketType)
    case ticket(SyncTicket)
    case scan(SyncScan)
    case conflict(SyncConflict)

    enum CodingKeys: String, CodingKey {
        case kind, event, ticketType, ticket, scan, conflict
    }

    /// The wire name of the change's kind.
    public var kind: String {
        switch self {
        case .event: "event"
        case .ticketType: "ticket_type"
        case .ticket: "ticket"
        case .scan: "scan"
        case .conflict: "conflict"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "event": self = .event(try container.decode(SyncEvent.self, forKey: .event))
        case "ticket_type": self = .ticketType(try container.decode(SyncTicketType.self, forKey: .ticketType))
        case "ticket": self = .ticket(try container.decode(SyncTicket.self, forKey: .ticket))
        case "scan": self = .scan(try container.decode(SyncScan.self, forKey: .scan))
        case "conflict": self = .conflict(try container.decode(SyncConflict.self, forKey: .conflict))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "unknown change kind \"\(kind)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case .event(let value): try container.encode(value, forKey: .event)
        case .ticketType(let value): try container.encode(value, forKey: .ticketType)
        case .ticket(let value): try container.encode(value, forKey: .ticket)
        case .scan(let value): try container.encode(value, forKey: .scan)
        case .conflict(let value): try container.encode(value, forKey: .conflict)
        }
    }
}

public struct PullPage: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    /// Where the next pull continues; store it in the same transaction as the changes.
    public var cursor: String
    /// Whether more changes are ready right now.
    public var hasMore: Bool
    public var serverTime: HLCTimestamp
    public var changes: [SyncChange]
    /// The current key ring and device certificates of the venue (replaces the node's).
    public var trust: TrustBundle
    /// The node's allotments as the server holds them (replace the node's).
    public var allotments: [SyncAllotment]
    /// As in ``Snapshot/lastMutationID``.
    public var lastMutationID: Int64
    public var credential: SyncCredential?
    /// v2: a digest of `trust`, `allotments` and `last_mutation_id`, opaque to the node,
    /// which sends it back with its next pull (``PullRequest/stateDigest``).
    public var stateDigest: String?

    public init(
        protocolVersion: Int, cursor: String, hasMore: Bool, serverTime: HLCTimestamp, changes: [SyncChange],
        trust: TrustBundle, allotments: [SyncAllotment], lastMutationID: Int64, credential: SyncCredential?,
        stateDigest: String? = nil
    ) {
        self.protocolVersion = protocolVersion
        self.cursor = cursor
        self.hasMore = hasMore
        self.serverTime = serverTime
        self.changes = changes
        self.trust = trust
        self.allotments = allotments
        self.lastMutationID = lastMutationID
        self.credential = credential
        self.stateDigest = stateDigest
    }

    /// The digest of this page's state (``stateDigest``): the first 16 bytes of SHA-256, in
    /// hex, over `trust`, `allotments` and `last_mutation_id`, each field written with its
    /// length, so two different states never write the same bytes. Nodes treat it as opaque; it
    /// is computed without JSON because thousands of woken pulls compute it at once.
    public func computedStateDigest() -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        func write(_ value: UInt64) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
        func write(_ text: String) {
            write(UInt64(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }
        func write(_ id: UUID) { withUnsafeBytes(of: id.uuid) { bytes.append(contentsOf: $0) } }
        write(trust.format)
        write(UInt64(trust.issuerKeys.count))
        for key in trust.issuerKeys {
            write(key.keyID)
            write(key.publicKey)
            write(key.status)
            write(key.verifiesUntil.map { $0.timeIntervalSince1970.bitPattern } ?? UInt64.max)
        }
        write(UInt64(trust.deviceCertificates.count))
        for certificate in trust.deviceCertificates { write(certificate) }
        write(UInt64(allotments.count))
        for allotment in allotments {
            write(allotment.ticketTypeID)
            write(allotment.eventID)
            write(UInt64(bitPattern: Int64(allotment.granted)))
            write(UInt64(bitPattern: Int64(allotment.sold)))
        }
        write(UInt64(bitPattern: lastMutationID))
        return Data(SHA256.hash(data: bytes).prefix(16)).hexString
    }
}

/// Seats of one ticket type a node gives back to the online pool.
public struct SyncRelease: Codable, Sendable, Equatable {
    @LowercaseUUID public var ticketTypeID: UUID
    @InRange<Bounds.AllotmentSeats> public var quantity: Int

    public init(ticketTypeID: UUID, quantity: Int) {
        self.ticketTypeID = ticketTypeID
        self.quantity = quantity
    }
}

/// One fact from the node's outbox, with its mutation id (per node, strictly increasing).
public struct SyncMutation: Codable, Sendable, Equatable {
    public enum Body: Sendable, Equatable {
        case scan(SyncScan)
        case sale(SyncSale)
        case release(SyncRelease)

        public var kind: Kind {
            switch self {
            case .scan: .scan
            case .sale: .sale
            case .release: .release
            }
        }
    }

    @InRange<Bounds.MutationID> public var mutationID: Int64
    public var body: Body

    enum CodingKeys: String, CodingKey {
        case mutationID, kind, scan, sale, release
    }

    public init(mutationID: Int64, body: Body) {
        self.mutationID = mutationID
        self.body = body
    }

    /// What a mutation carries.
    public enum Kind: String, Vocabulary {
        case scan
        case sale
        case release

        public static let vocabularyName = "mutation kind"
    }

    public var kind: Kind { body.kind }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        _mutationID = try container.decode(InRange<Bounds.MutationID>.self, forKey: .mutationID)
        switch try container.decode(Kind.self, forKey: .kind) {
        case .scan: body = .scan(try container.decode(SyncScan.self, forKey: .scan))
        case .sale: body = .sale(try container.decode(SyncSale.self, forKey: .sale))
        case .release: body = .release(try container.decode(SyncRelease.self, forKey: .release))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mutationID, forKey: .mutationID)
        try container.encode(kind, forKey: .kind)
        switch body {
        case .scan(let value): try container.encode(value, forKey: .scan)
        case .sale(let value): try container.encode(value, forKey: .sale)
        case .release(let value): try container.encode(value, forKey: .release)
        }
    }
}

/// `POST /api/v1/sync/push`: a batch of the node's outbox, oldest first.
public struct PushRequest: SyncRequestMessage, Sendable, Equatable {
    public static let maximumMutations = FieldLimits.mutationsPerPush.upperBound

    public var protocolVersion: Int
    @LowercaseUUID public var nodeID: UUID
    public var clock: SyncClockReading
    /// The mutations that could be read, in the batch's order.
    public var mutations: [SyncMutation]
    /// Items whose `mutation_id` could be read but nothing else (an unknown kind, a field of
    /// the wrong type): a v2 server rejects each on its own (sync-v2.md §6.2); a v1 server
    /// refuses the whole push. Never encoded.
    public var unreadable: [UnreadableMutation] = []

    enum CodingKeys: String, CodingKey {
        case protocolVersion, nodeID, clock, mutations
    }

    public init(
        protocolVersion: Int = SyncProtocolVersion.current.rawValue, nodeID: UUID, clock: SyncClockReading,
        mutations: [SyncMutation]
    ) {
        self.protocolVersion = protocolVersion
        self.nodeID = nodeID
        self.clock = clock
        self.mutations = mutations
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        protocolVersion = try container.decode(Int.self, forKey: .protocolVersion)
        _nodeID = try container.decode(LowercaseUUID.self, forKey: .nodeID)
        clock = try container.decode(SyncClockReading.self, forKey: .clock)
        var items = try container.nestedUnkeyedContainer(forKey: .mutations)
        mutations = []
        while !items.isAtEnd {
            let position = items.currentIndex
            switch try items.decode(PushItem.self).content {
            case .success(let mutation): mutations.append(mutation)
            case .failure(let item): unreadable.append(UnreadableMutation(mutationID: item.mutationID, position: position, problem: item.problem))
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(protocolVersion, forKey: .protocolVersion)
        try container.encode(_nodeID, forKey: .nodeID)
        try container.encode(clock, forKey: .clock)
        try container.encode(mutations, forKey: .mutations)
    }

    /// One item of `mutations`: its id must be readable (else the push cannot be answered
    /// item by item and is refused whole); the rest may not be.
    private struct PushItem: Decodable {
        struct Unread: Error {
            let mutationID: Int64
            let problem: DecodingProblem
        }

        let content: Result<SyncMutation, Unread>

        private enum Key: String, CodingKey {
            case mutationID
        }

        init(from decoder: any Decoder) throws {
            let id = try decoder.container(keyedBy: Key.self).decode(InRange<Bounds.MutationID>.self, forKey: .mutationID)
            do {
                content = .success(try SyncMutation(from: decoder))
            } catch let error as DecodingError {
                content = .failure(Unread(mutationID: id.wrappedValue, problem: DecodingProblem(error)))
            }
        }
    }
}

/// An item of a push that could not be read beyond its `mutation_id`.
public struct UnreadableMutation: Sendable, Equatable {
    public let mutationID: Int64
    /// Where it stood in the batch.
    public let position: Int
    public let problem: DecodingProblem
}

/// What the server did with one mutation.
public struct SyncMutationResult: Codable, Sendable, Equatable {
    public enum Status: String, Vocabulary {
        public static let vocabularyName = "mutation status"

        /// Recorded now.
        case applied
        /// Recorded before (a replay); nothing changed.
        case duplicate
        /// Recorded now, and it contradicts central state: see `conflicts`.
        case conflict
        /// Refused for good (it can never apply); the node drops it and moves on.
        case rejected
    }

    public var mutationID: Int64
    public var status: Status
    public var conflicts: [SyncConflict]
    public var error: SyncErrorDetail?

    public init(mutationID: Int64, status: Status, conflicts: [SyncConflict] = [], error: SyncErrorDetail? = nil) {
        self.mutationID = mutationID
        self.status = status
        self.conflicts = conflicts
        self.error = error
    }
}

public struct PushResponse: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    public var serverTime: HLCTimestamp
    public var results: [SyncMutationResult]

    public init(protocolVersion: Int, serverTime: HLCTimestamp, results: [SyncMutationResult]) {
        self.protocolVersion = protocolVersion
        self.serverTime = serverTime
        self.results = results
    }
}

/// `POST /api/v1/sync/allotments`: the node asks for more seats of a ticket type.
public struct TopUpRequest: SyncRequestMessage, Sendable, Equatable {
    public var protocolVersion: Int
    @LowercaseUUID public var ticketTypeID: UUID
    @InRange<Bounds.TopUpSeats> public var quantity: Int

    public init(protocolVersion: Int = SyncProtocolVersion.current.rawValue, ticketTypeID: UUID, quantity: Int) {
        self.protocolVersion = protocolVersion
        self.ticketTypeID = ticketTypeID
        self.quantity = quantity
    }
}

/// An error's code and sentence, as in every error response:
/// `{"error":{"code":"…","message":"…"}}`.
public struct SyncErrorDetail: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public var code: String
    public var message: String
    /// For `validation_failed`: the wire path of each offending field and what is wrong with it.
    public var fields: [String: String]?

    public init(code: String, message: String, fields: [String: String]? = nil) {
        self.code = code
        self.message = message
        self.fields = fields
    }

    public var description: String { "\(message) (\(code))" }
}

/// The body of an error response.
public struct SyncErrorBody: Codable, Sendable, Equatable {
    public var error: SyncErrorDetail

    public init(error: SyncErrorDetail) { self.error = error }
}
