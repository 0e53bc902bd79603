import Logging
import PostgresNIO

/// What `/health` reports about the database.
public struct DatabaseStatus: Sendable, Equatable {
    /// `server_version` as PostgreSQL reports it, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    public let serverVersion: String
    /// The major version, e.g. 15.
    public let majorVersion: Int

    /// Asks the database through `client` (whose `run()` must be active).
    public static func probe(_ client: PostgresClient, logger: Logger) async throws -> DatabaseStatus {
        let rows = try await client.query(
            "SELECT current_setting('server_version'), current_setting('server_version_num')::int",
            logger: logger)
        for try await (version, number) in rows.decode((String, Int).self) {
            return DatabaseStatus(serverVersion: version, majorVersion: number / 10000)
        }
        throw DatabaseStatusError.noAnswer
    }
}

/// The database answered the status query with no row.
public enum DatabaseStatusError: Error, Sendable {
    case noAnswer
}
