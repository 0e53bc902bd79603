import Foundation
import Logging
import PostgresNIO
import Testing

@testable import SpotServer

/// Proves the test plumbing: `./scripts/test` starts a throwaway PostgreSQL and
/// exports its URL as SPOT_TEST_DATABASE_URL; these tests connect to it for real.
@Suite("PostgreSQL connection")
struct PostgresConnectionTests {
    static func configuration() throws -> DatabaseConfiguration {
        guard let url = ProcessInfo.processInfo.environment["SPOT_TEST_DATABASE_URL"] else {
            throw MissingDatabase()
        }
        return try DatabaseConfiguration(url: url)
    }

    struct MissingDatabase: Error, CustomStringConvertible {
        var description: String {
            "SPOT_TEST_DATABASE_URL is not set: run the tests with ./scripts/test, which starts a throwaway PostgreSQL"
        }
    }

    /// Runs `body` with a client whose `run()` is active, then shuts it down.
    static func withClient(_ body: @Sendable (PostgresClient, Logger) async throws -> Void) async throws {
        let client = PostgresClient(configuration: try configuration().clientConfiguration)
        let logger = Logger(label: "spot-test")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await body(client, logger)
        }
    }

    @Test("The status probe reports PostgreSQL 15")
    func probe() async throws {
        try await Self.withClient { client, logger in
            let status = try await DatabaseStatus.probe(client, logger: logger)
            #expect(status.majorVersion == 15)
            #expect(status.serverVersion.hasPrefix("15."))
        }
    }

    @Test("Bound parameters carry hostile text verbatim, and pg_trgm is available")
    func bindsAndExtensions() async throws {
        try await Self.withClient { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("CREATE TEMPORARY TABLE probe (id int PRIMARY KEY, title text NOT NULL)", logger: logger)
                let hostile = "Robert'); DROP TABLE probe;--"
                try await connection.query("INSERT INTO probe (id, title) VALUES (\(1), \(hostile))", logger: logger)
                let rows = try await connection.query("SELECT title FROM probe WHERE id = \(1)", logger: logger)
                var titles: [String] = []
                for try await title in rows.decode(String.self) { titles.append(title) }
                #expect(titles == [hostile])
                try await connection.query("CREATE EXTENSION IF NOT EXISTS pg_trgm", logger: logger)
                let similarity = try await connection.query("SELECT similarity(\("concert"), \("concrt"))::float8", logger: logger)
                for try await value in similarity.decode(Double.self) { #expect(value > 0.3 && value < 1) }
            }
        }
    }
}
