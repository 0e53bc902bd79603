import Foundation
import Logging
import PostgresNIO
import SpotServer

/// Isolated PostgreSQL databases for tests: the first use migrates a template
/// database once per test process; every test then gets its own copy
/// (`CREATE DATABASE … TEMPLATE`, a file copy, milliseconds) and drops it after.
/// The server is the one `./scripts/test` starts (SPOT_TEST_DATABASE_URL).
public actor TestDatabase {
    public static let shared = TestDatabase()

    /// The template, created once; concurrent first users await the same work.
    private var template: Task<String, any Error>?
    /// CREATE DATABASE … TEMPLATE fails while another copy of the template is in progress: one at a time.
    private var cloning = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// Tests holding a database now, at most ``capacity`` (SPOT_TEST_DATABASES, default 6): every
    /// test would otherwise start its servers at once, and on two cores their requests would run
    /// past the servers' deadlines while they wait for the processor, not for their own work.
    private var holders = 0
    private var queued: [CheckedContinuation<Void, Never>] = []
    private let capacity = max(1, Int(ProcessInfo.processInfo.environment["SPOT_TEST_DATABASES"] ?? "") ?? 6)
    let logger = Logger(label: "spot-test-database")

    /// The throwaway server's maintenance database.
    public static func adminConfiguration() throws -> DatabaseConfiguration {
        guard let url = ProcessInfo.processInfo.environment["SPOT_TEST_DATABASE_URL"] else {
            throw MissingDatabase()
        }
        return try DatabaseConfiguration(url: url)
    }

    public struct MissingDatabase: Error, CustomStringConvertible {
        public var description: String {
            "SPOT_TEST_DATABASE_URL is not set: run the tests with ./scripts/test, which starts a throwaway PostgreSQL"
        }
    }

    /// Runs `body` with a fresh, migrated database of its own, dropped afterwards.
    public func withDatabase<T: Sendable>(
        migrated: Bool = true, _ body: @Sendable (DatabaseConfiguration) async throws -> T
    ) async throws -> T {
        await acquireSlot()
        defer { releaseSlot() }
        let name = "spot_test_\(UUID().uuidString.prefix(8).lowercased())"
        let template = migrated ? try await migratedTemplate() : "template0"
        await acquireCloning()
        do {
            try await admin { client in
                // PostgreSQL refuses to copy a template another session is connected to (after waiting
                // 5 s): the migrating client's backend can outlive its closed socket under load (a CI
                // run lost five tests to it). Nothing but this copy uses the template.
                try await client.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(template) AND pid <> pg_backend_pid()",
                    logger: self.logger)
                try await client.query("CREATE DATABASE \(unescaped: name) TEMPLATE \(unescaped: template)", logger: self.logger)
            }
            releaseCloning()
        } catch {
            releaseCloning()
            throw error
        }
        var configuration = try Self.adminConfiguration()
        configuration.database = name
        do {
            let result = try await body(configuration)
            try await drop(name)
            return result
        } catch {
            try? await drop(name)
            throw error
        }
    }

    private func acquireSlot() async {
        if holders < capacity {
            holders += 1
            return
        }
        await withCheckedContinuation { queued.append($0) }
    }

    /// Hands the slot to the next waiting test, or frees it.
    private func releaseSlot() {
        if queued.isEmpty { holders -= 1 } else { queued.removeFirst().resume() }
    }

    private func drop(_ name: String) async throws {
        try await admin { client in
            try await client.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: self.logger)
        }
    }

    private func acquireCloning() async {
        if !cloning {
            cloning = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func releaseCloning() {
        if waiting.isEmpty { cloning = false } else { waiting.removeFirst().resume() }
    }

    private func migratedTemplate() async throws -> String {
        if let template { return try await template.value }
        let task = Task { try await createTemplate() }
        template = task
        return try await task.value
    }

    private func createTemplate() async throws -> String {
        let name = "spot_template_\(getpid())"
        try await admin { client in
            try await client.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: self.logger)
            try await client.query("CREATE DATABASE \(unescaped: name)", logger: self.logger)
        }
        var configuration = try Self.adminConfiguration()
        configuration.database = name
        try await Self.withClient(configuration, logger: logger) { client in
            try await Migrator().migrate(client, logger: self.logger)
        }
        return name
    }

    private func admin(_ body: @Sendable (PostgresClient) async throws -> Void) async throws {
        try await Self.withClient(try Self.adminConfiguration(), logger: logger, body)
    }

    /// Runs `body` with a running client to `configuration`, closed afterwards.
    public static func withClient<T: Sendable>(
        _ configuration: DatabaseConfiguration, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        var background = logger
        background.logLevel = .error
        let client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: background)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
