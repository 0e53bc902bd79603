import Crypto
import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotSync

/// Applies facts one node relays for the other nodes of its venue (`sync-v2.md` §6.4): each is
/// believed only when it verifies with its origin's enrolled device key, the origin is a node
/// of the relayer's venue, and — for a revoked origin — it was made before the revocation; the
/// believed ones are applied as the origin's own push (``PushApplier``), so the origin's
/// mutation log keeps each exactly once whoever brings it first.
struct RelayApplier: Sendable {
    let database: Database
    let pushes: PushApplier

    private struct OriginNode {
        let venueID: UUID
        let key: Curve25519.Signing.PublicKey?
        let revokedAt: Date?
    }

    func apply(
        _ request: RelayRequest, relayer: AuthenticatedNode, version: SyncProtocolVersion, now: Date, logger: Logger
    ) async throws -> RelayResponse {
        guard request.nodeID == relayer.id else {
            throw DomainError.forbidden("This relay names node \(request.nodeID.lowercasedText), not the node whose credential sent it.")
        }
        do {
            try request.check()
        } catch {
            throw DomainError.validation(error.field, error.message)
        }
        let origins = try await self.origins(Array(Set(request.facts.map(\.nodeID))), logger: logger)
        var results: [Int: RelayResult] = [:]
        var believed: [UUID: [(position: Int, mutation: SyncMutation)]] = [:]
        for (position, fact) in request.facts.enumerated() {
            func reject(_ code: ErrorCode, _ message: String) {
                results[position] = RelayResult(
                    nodeID: fact.nodeID, mutationID: fact.mutationID, status: .rejected, error: SyncErrorDetail(code, message))
            }
            guard let origin = origins[fact.nodeID], origin.venueID == relayer.venueID else {
                reject(.wrongVenue, "The fact's node is not a node of the relaying node's venue.")
                continue
            }
            guard let key = origin.key, fact.isSigned(by: key) else {
                reject(.invalidFactSignature, "The fact's signature does not verify with its node's device key.")
                continue
            }
            let mutation: SyncMutation
            do {
                mutation = try fact.mutation()
            } catch .wrongNode {
                reject(.wrongNode, FactProblem.wrongNode.description)
                continue
            } catch {
                reject(.unreadableMutation, "The fact could not be read: \(error).")
                continue
            }
            if let revokedAt = origin.revokedAt, !Self.made(mutation, before: revokedAt) {
                reject(.nodeRevoked, "The fact's node was revoked before it was made.")
                continue
            }
            believed[fact.nodeID, default: []].append((position, mutation))
        }
        for (origin, items) in believed.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
            let push = PushRequest(
                protocolVersion: version.rawValue, nodeID: origin, clock: request.clock, mutations: items.map(\.mutation))
            let response = try await pushes.apply(
                push, node: .init(id: origin, venueID: relayer.venueID), version: version, now: now, relayed: true, logger: logger)
            let byID = Dictionary(response.results.map { ($0.mutationID, $0) }, uniquingKeysWith: { first, _ in first })
            for item in items {
                guard let result = byID[item.mutation.mutationID] else { continue }
                results[item.position] = RelayResult(
                    nodeID: origin, mutationID: result.mutationID, status: result.status, error: result.error)
            }
        }
        if !believed.isEmpty {
            logger.info("relayed facts", metadata: [
                "relayer": "\(relayer.id.lowercasedText)", "facts": "\(believed.values.map(\.count).reduce(0, +))",
            ])
        }
        return RelayResponse(
            protocolVersion: version.rawValue, serverTime: SyncService.serverTime(now),
            results: request.facts.indices.compactMap { results[$0] })
    }

    /// Scans and sales carry the time they were made; a release does not, so a revoked node's
    /// release is never relayed.
    private static func made(_ mutation: SyncMutation, before revokedAt: Date) -> Bool {
        let hlc: HLCTimestamp
        switch mutation.body {
        case .scan(let scan): hlc = scan.hlc
        case .sale(let sale): hlc = sale.hlc
        case .release: return false
        }
        return Double(hlc.wallMilliseconds) / 1000 < revokedAt.timeIntervalSince1970
    }

    private func origins(_ ids: [UUID], logger: Logger) async throws -> [UUID: OriginNode] {
        let rows = try await database.query(
            "SELECT id, venue_id, device_public_key, revoked_at FROM nodes WHERE id = ANY(\(ids))", logger: logger)
        var origins: [UUID: OriginNode] = [:]
        for try await (id, venue, key, revokedAt) in rows.decode((UUID, UUID, ByteBuffer, Date?).self) {
            origins[id] = OriginNode(
                venueID: venue, key: try? Curve25519.Signing.PublicKey(rawRepresentation: Array(buffer: key)), revokedAt: revokedAt)
        }
        return origins
    }
}
