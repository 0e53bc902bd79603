import Foundation
import GRDB

extension NodeDatabase {
    /// The physical limit beside the bootstrap benchmark: `rows` ticket-sized rows inserted
    /// into a fresh WAL file at `path` with one prepared statement in one transaction, keys
    /// prepared beforehand and inserted in order (as a snapshot's are).
    public static func rawInsertDuration(rows: Int, path: String) throws -> Duration {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        let keys = (0..<rows).map { _ in UUID().text }.sorted()
        let event = UUID().text
        let start = ContinuousClock.now
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, event_id TEXT, type_id TEXT, version INTEGER, status TEXT) WITHOUT ROWID")
            let statement = try db.makeStatement(sql: "INSERT INTO t VALUES (?, ?, ?, ?, ?)")
            for (index, key) in keys.enumerated() {
                statement.setUncheckedArguments([key, event, event, index, "valid"])
                try statement.execute()
            }
        }
        return ContinuousClock.now - start
    }
}
