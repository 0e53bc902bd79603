import Foundation
import GRDB
import SpotCore
import SpotSync

/// The durable outbox: every scan, sale and release is enqueued in the transaction that
/// creates it, under a mutation id SQLite never reuses (AUTOINCREMENT), and leaves only
/// when the server has answered for it. The same fact is kept in `own_facts` for the node's
/// peers, who read it by mutation id.
extension NodeDatabase {
    @discardableResult
    static func enqueue(_ body: SyncMutation.Body, _ db: GRDB.Database, now: Date) throws -> Int64 {
        let json: Data =
            switch body {
            case .scan(let scan): try SyncJSON.encoder.encode(scan)
            case .sale(let sale): try SyncJSON.encoder.encode(sale)
            case .release(let release): try SyncJSON.encoder.encode(release)
            }
        let arguments: StatementArguments = [body.kind.rawValue, String(decoding: json, as: UTF8.self), now.timeIntervalSince1970]
        try db.cachedStatement(sql: "INSERT INTO outbox (kind, body, created_at) VALUES (?, ?, ?)").execute(arguments: arguments)
        let mutationID = db.lastInsertedRowID
        // The same text, kept for the node's peers after the server has it (peer-v1.md §2).
        try db.cachedStatement(sql: "INSERT INTO own_facts (mutation_id, kind, body, created_at) VALUES (?, ?, ?, ?)")
            .execute(arguments: [mutationID] + arguments)
        return mutationID
    }

    /// The oldest `limit` mutations waiting to be pushed.
    public func pendingMutations(limit: Int) throws -> [SyncMutation] {
        try writer.read { db in
            try OutboxRow.order(Column("mutation_id")).limit(limit).fetchAll(db).map { row in
                let data = Data(row.body.utf8)
                let body: SyncMutation.Body =
                    switch row.kind {
                    case .scan: .scan(try SyncJSON.decoder.decode(SyncScan.self, from: data))
                    case .sale: .sale(try SyncJSON.decoder.decode(SyncSale.self, from: data))
                    case .release: .release(try SyncJSON.decoder.decode(SyncRelease.self, from: data))
                    }
                return SyncMutation(mutationID: row.mutationID ?? 0, body: body)
            }
        }
    }

    /// Mutations waiting to be pushed.
    public func outboxDepth() throws -> Int {
        try writer.read { db in try OutboxRow.fetchCount(db) }
    }

    /// Moves a mutation the server refused to take at all (its push was refused naming it, or
    /// it alone is too large) out of the outbox, aside for the operator like a rejected one, so
    /// the mutations after it are pushed.
    public func setAside(mutationID: Int64, error: SyncErrorDetail, now: Date) throws {
        try writer.write { db in
            guard let row = try OutboxRow.fetchOne(db, key: mutationID) else { return }
            try RejectedMutationRow(
                mutationID: mutationID, kind: row.kind, body: row.body, code: error.code, message: error.message, rejectedAt: now
            ).save(db)
            _ = try row.delete(db)
        }
    }

    /// What a push's answer did to the outbox.
    public struct Acknowledgement: Sendable, Equatable {
        public var applied = 0
        public var duplicates = 0
        public var conflicts = 0
        public var rejected = 0
    }

    /// Takes the server's answers: answered mutations leave the outbox (rejected ones are
    /// kept aside for the operator), reported conflicts are stored, the clock moves on.
    @discardableResult
    public func acknowledge(_ response: PushResponse, now: Date) throws -> Acknowledgement {
        try writer.write { db in
            var state = try Self.state(db)
            var tally = Acknowledgement()
            for result in response.results {
                guard let row = try OutboxRow.fetchOne(db, key: result.mutationID) else { continue }
                switch result.status {
                case .applied: tally.applied += 1
                case .duplicate: tally.duplicates += 1
                case .conflict: tally.conflicts += 1
                case .rejected:
                    tally.rejected += 1
                    try RejectedMutationRow(
                        mutationID: result.mutationID, kind: row.kind, body: row.body,
                        code: result.error?.code ?? "rejected", message: result.error?.message ?? "", rejectedAt: now
                    ).save(db)
                }
                for conflict in result.conflicts { try Self.upsert(conflict, db) }
                _ = try row.delete(db)
                state.lastMutationID = max(state.lastMutationID, result.mutationID)
            }
            state.lastPushAt = now
            state.protocolVersion = response.protocolVersion
            Self.advanceClock(&state, serverTime: response.serverTime, now: now)
            try state.update(db)
            return tally
        }
    }
}
