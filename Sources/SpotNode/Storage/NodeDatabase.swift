import Foundation
import GRDB
import SpotCore

/// The node's SQLite database (GRDB, WAL): one `Sendable` value wrapping the
/// writer, migrated when opened, offering one transaction per intent-named method.
public struct NodeDatabase: Sendable {
    private let writer: any DatabaseWriter

    /// Wraps `writer` and applies every pending migration.
    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// Opens (creating if needed) the database file at `path` in WAL mode.
    public static func open(path: String) throws -> NodeDatabase {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        return try NodeDatabase(DatabasePool(path: path, configuration: configuration))
    }

    /// Migrations are append-only: a migration that has shipped is never edited.
    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: scans") { db in
            try db.create(table: ScanRow.databaseTableName) { table in
                table.column("id", .text).primaryKey()
                table.column("ticket_id", .text).notNull()
                table.column("issue_version", .integer).notNull()
                table.column("direction", .text).notNull()
                table.column("gate", .text).notNull()
                table.column("node_id", .text).notNull()
                table.column("hlc", .integer).notNull()
                table.column("verdict", .text).notNull()
            }
            try db.create(index: "scans_by_ticket", on: ScanRow.databaseTableName, columns: ["ticket_id", "hlc"])
        }
        return migrator
    }

    /// Records one scan with its verdict code; refused scans are kept for statistics
    /// but only accepted ones (`ok`) count towards a ticket's presence.
    public func recordScan(_ scan: ScanRecord, verdict: Verdict) throws {
        try writer.write { db in try ScanRow(scan, verdict: verdict.code).insert(db) }
    }

    /// The accepted scans, as the verdict function's scan history.
    public func scanLedger() throws -> ScanLedger {
        try writer.read { db in
            let rows = try ScanRow.filter(Column("verdict") == "ok").fetchCursor(db)
            var ledger = ScanLedger()
            while let row = try rows.next() { ledger.record(try row.scanRecord()) }
            return ledger
        }
    }

    /// The number of scans recorded, accepted or not.
    public func scanCount() throws -> Int {
        try writer.read { db in try ScanRow.fetchCount(db) }
    }
}
