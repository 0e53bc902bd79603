import Foundation
import Logging
import PostgresNIO
import SpotTestSupport
import Testing

@testable import SpotServer

@Suite("Migrations")
struct MigrationTests {
    let logger = Logger(label: "test")

    @Test("An empty database is migrated once; a second run applies nothing")
    func applyOnce() async throws {
        try await TestDatabase.shared.withDatabase(migrated: false) { configuration in
            try await TestDatabase.withClient(configuration, logger: logger) { client in
                let first = try await Migrator().migrate(client, logger: logger)
                let second = try await Migrator().migrate(client, logger: logger)
                let level = try await Migrator.currentVersion(client, logger: logger)
                #expect(first == Migrations.all.map(\.version))
                #expect(second.isEmpty)
                #expect(level == Migrator().latestVersion)
            }
        }
    }

    @Test("Replicas migrating at once apply each migration exactly once")
    func concurrent() async throws {
        try await TestDatabase.shared.withDatabase(migrated: false) { configuration in
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await TestDatabase.withClient(configuration, logger: logger) { client in
                            try await Migrator().migrate(client, logger: logger)
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(applied.sorted() == Migrations.all.map(\.version))
        }
    }

    @Test("An edited landed migration, or a database newer than the server, stops the server")
    func refusals() async throws {
        try await TestDatabase.shared.withDatabase { configuration in
            try await TestDatabase.withClient(configuration, logger: logger) { client in
                let first = Migrations.all[0]
                let edited = Migration(version: first.version, name: first.name, statements: first.statements + ["SELECT 1"])
                await #expect(throws: MigrationError.edited(first.version)) {
                    try await Migrator(migrations: [edited] + Migrations.all.dropFirst()).migrate(client, logger: logger)
                }
                let future = Migration(version: 999, name: "from the future", statements: ["CREATE TABLE future (id int)"])
                _ = try await Migrator(migrations: Migrations.all + [future]).migrate(client, logger: logger)
                await #expect(throws: MigrationError.databaseNewer(database: 999, server: Migrator().latestVersion)) {
                    try await Migrator().migrate(client, logger: logger)
                }
            }
        }
    }

    @Test("A failing migration rolls back entirely")
    func atomic() async throws {
        try await TestDatabase.shared.withDatabase { configuration in
            try await TestDatabase.withClient(configuration, logger: logger) { client in
                let broken = Migration(version: 500, name: "broken", statements: ["CREATE TABLE half (id int)", "SELECT nonsense("])
                await #expect(throws: (any Error).self) {
                    try await Migrator(migrations: Migrations.all + [broken]).migrate(client, logger: logger)
                }
                let rows = try await client.query("SELECT to_regclass('half') IS NULL", logger: logger)
                for try await absent in rows.decode(Bool.self) { #expect(absent) }
                let level = try await Migrator.currentVersion(client, logger: logger)
                #expect(level == Migrator().latestVersion)
            }
        }
    }
}
