import Foundation
import Logging
import Synchronization

/// The time zones the server accepts: the names PostgreSQL knows (`pg_timezone_names`, where
/// days and hours are counted) that Foundation knows too (where pages format times). Loaded
/// once before the server accepts requests; until then no name is accepted.
final class TimeZoneCatalog: Sendable {
    private let names: Mutex<Set<String>>

    /// A catalog of `names` (empty until ``load(from:logger:)``).
    init(names: Set<String> = []) {
        self.names = Mutex(names)
    }

    /// Reads PostgreSQL's list.
    func load(from database: Database, logger: Logger) async throws {
        let rows = try await database.query("SELECT name FROM pg_timezone_names", logger: logger)
        var loaded = Set<String>()
        for try await name in rows.decode(String.self) where TimeZone(identifier: name) != nil { loaded.insert(name) }
        names.withLock { $0 = loaded }
    }

    /// Whether `name` is a time zone both PostgreSQL and Foundation know (`Europe/Berlin`, `UTC`).
    func contains(_ name: String) -> Bool { names.withLock { $0.contains(name) } }

    /// The problem with `name` as a time zone, if any.
    func problem(_ name: String) -> String? {
        contains(name) ? nil : "must be an IANA time zone such as Europe/Berlin"
    }
}
