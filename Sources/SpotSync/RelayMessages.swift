import Foundation
import SpotCore

/// `POST /api/v1/sync/relay` (protocol 2, `sync-v2.md` §6.4): a node hands the server facts its
/// peers signed and the server may not have — a dead door's scans and sales reach the server
/// through the door that survived it.
public struct RelayRequest: SyncRequestMessage, Sendable, Equatable {
    public var protocolVersion: Int
    /// The relaying node (the credential's).
    @LowercaseUUID public var nodeID: UUID
    public var clock: SyncClockReading
    /// Facts of other nodes of the venue, oldest first per origin, 1 to 500.
    public var facts: [SignedFact]

    public init(
        protocolVersion: Int = SyncProtocolVersion.current.rawValue, nodeID: UUID, clock: SyncClockReading, facts: [SignedFact]
    ) {
        self.protocolVersion = protocolVersion
        self.nodeID = nodeID
        self.clock = clock
        self.facts = facts
    }

    /// Whole-request faults: the count, an origin that is the relayer itself, and mutation ids
    /// that do not increase within one origin.
    public func check() throws(PushRequest.BatchProblem) {
        guard FieldLimits.factsPerRelay.contains(facts.count) else {
            throw PushRequest.BatchProblem(
                field: "facts",
                message: "must hold \(FieldLimits.factsPerRelay.lowerBound) to \(FieldLimits.factsPerRelay.upperBound) facts")
        }
        var previous: [UUID: Int64] = [:]
        for (position, fact) in facts.enumerated() {
            guard fact.nodeID != nodeID else {
                throw PushRequest.BatchProblem(field: "facts[\(position)].node_id", message: "is the relaying node: push your own facts")
            }
            guard fact.mutationID > previous[fact.nodeID, default: 0] else {
                throw PushRequest.BatchProblem(field: "facts[\(position)].mutation_id", message: "must increase within one origin node")
            }
            previous[fact.nodeID] = fact.mutationID
        }
    }
}

/// The server's answer to a relay: one result per fact, in the request's order.
public struct RelayResponse: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    public var serverTime: HLCTimestamp
    public var results: [RelayResult]

    public init(protocolVersion: Int, serverTime: HLCTimestamp, results: [RelayResult]) {
        self.protocolVersion = protocolVersion
        self.serverTime = serverTime
        self.results = results
    }
}

/// What became of one relayed fact: a push result (`applied`, `duplicate` — the origin or
/// another relay brought it first —, `conflict` or `rejected`) under the origin's identity.
public struct RelayResult: Codable, Sendable, Equatable {
    @LowercaseUUID public var nodeID: UUID
    public var mutationID: Int64
    public var status: SyncMutationResult.Status
    public var error: SyncErrorDetail?

    public init(nodeID: UUID, mutationID: Int64, status: SyncMutationResult.Status, error: SyncErrorDetail? = nil) {
        self.nodeID = nodeID
        self.mutationID = mutationID
        self.status = status
        self.error = error
    }
}
