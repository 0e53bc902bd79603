import ArgumentParser
import Foundation
import Logging
import SpotSync
import SpotCore
import SpotServer
import SpotTooling

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the central server, migrate its database, create the first admin, seed sample data.",
        subcommands: [Run.self, Migrate.self, CreateAdmin.self, Seed.self, Keys.self],
        defaultSubcommand: Run.self
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the central server (HTTP API, /health, /metrics, /openapi.json).",
            discussion: """
                Without --database-url (or DATABASE_URL) the server manages its own PostgreSQL cluster in \
                DATA_DIR/postgres: created on first start from the installed PostgreSQL binaries, started \
                and stopped with the server. SIGINT or SIGTERM shut it down gracefully.

                Examples:
                  spot server
                  spot server --port 8080 --data-dir /var/lib/hvflvspot
                  DATABASE_URL=postgres://spot:secret@db.internal/spot spot server --host 0.0.0.0
                  SMTP_URL=smtp://mailer:secret@mail.internal:587 spot server --mail-from 'Tickets <tickets@example.com>'
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Address to listen on.")
        var host = ProcessInfo.processInfo.environment["HOST"] ?? "127.0.0.1"

        @Option(help: "Port to listen on (env PORT).")
        var port = Int(ProcessInfo.processInfo.environment["PORT"] ?? "") ?? 8080

        @Option(help: "trace, debug, info, notice, warning, error or critical (env LOG_LEVEL).")
        var logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"

        @Option(help: ArgumentHelp("bcrypt cost for new passwords.", visibility: .hidden))
        var passwordCost: UInt8 = 12

        @Option(help: ArgumentHelp("Auth attempts per minute per address and account.", visibility: .hidden))
        var authAttemptsPerMinute = 5

        @Option(help: "Days the sync change feed keeps a change; a node offline for longer downloads a fresh snapshot.")
        var syncFeedRetentionDays = 30.0

        @Option(help: ArgumentHelp("Seconds between prunings of the sync change feed.", visibility: .hidden))
        var syncFeedPruneInterval = 3600.0

        @Option(help: ArgumentHelp(
            "Sync protocol versions to serve, comma-separated (default: 1,2). '1' turns live pull off, e.g. behind a pooler that cannot pass LISTEN.",
            valueName: "LIST"))
        var syncProtocols = SyncProtocolVersion.supported.map { String($0.rawValue) }.joined(separator: ",")

        @Option(help: ArgumentHelp(
            "Send email through this SMTP relay (env SMTP_URL): smtp://user:password@host:587 (STARTTLS when offered) or smtps://host:465. Without it, email is recorded by the simulation provider.",
            valueName: "URL"))
        var smtpURL = ProcessInfo.processInfo.environment["SMTP_URL"]

        @Option(help: ArgumentHelp("The sender of email (env MAIL_FROM), e.g. 'HVFLVSPOT <tickets@example.com>'.", valueName: "ADDRESS"))
        var mailFrom = ProcessInfo.processInfo.environment["MAIL_FROM"]

        @Option(help: ArgumentHelp("PEM certificates to trust for the SMTP relay instead of the system's.", valueName: "FILE"))
        var smtpCAFile: String?

        @Flag(help: "Development only: webhooks may go to http:// URLs and to loopback and private addresses (never in production: it lets organizers reach your internal network).")
        var webhooksAllowPrivateTargets = false

        /// `--smtp-url`, `--mail-from` and `--smtp-ca-file` read together (nil without a URL).
        var smtp: SMTPConfiguration? {
            get throws {
                guard let smtpURL else {
                    guard mailFrom == nil || ProcessInfo.processInfo.environment["MAIL_FROM"] != nil, smtpCAFile == nil else {
                        throw ValidationError("--mail-from and --smtp-ca-file need --smtp-url")
                    }
                    return nil
                }
                guard let mailFrom else { throw ValidationError("--smtp-url needs --mail-from (the sender's address)") }
                do {
                    return try SMTPConfiguration(url: smtpURL, from: mailFrom, trustRootsFile: smtpCAFile)
                } catch {
                    throw ValidationError(error.description)
                }
            }
        }

        /// The versions `--sync-protocols` names, each one this build speaks.
        var servedProtocols: [SyncProtocolVersion] {
            get throws {
                let parts = syncProtocols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let versions = parts.map { Int($0).map(SyncProtocolVersion.init(rawValue:)) }
                guard !parts.isEmpty, versions.allSatisfy({ $0.map(SyncProtocolVersion.supported.contains) == true }) else {
                    let spoken = SyncProtocolVersion.supported.map { String($0.rawValue) }.joined(separator: ", ")
                    throw ValidationError("--sync-protocols must list versions this server speaks (\(spoken)), comma-separated")
                }
                return Array(Set(versions.compactMap { $0 })).sorted()
            }
        }

        func validate() throws {
            guard Logger.Level(rawValue: logLevel) != nil else {
                throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
            }
            guard (1...65535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
            guard (4...31).contains(passwordCost) else { throw ValidationError("--password-cost must be 4 to 31") }
            guard syncFeedRetentionDays > 0, syncFeedRetentionDays <= 3650 else {
                throw ValidationError("--sync-feed-retention-days must be more than 0 and at most 3650")
            }
            guard syncFeedPruneInterval >= 0.1, syncFeedPruneInterval <= 86_400 else {
                throw ValidationError("--sync-feed-prune-interval must be 0.1 to 86400 seconds")
            }
            _ = try servedProtocols
            _ = try smtp
        }

        func run() async throws {
            let logger = makeLogger(level: Logger.Level(rawValue: logLevel)!)
            try await database.withDatabase(logger: logger) { databaseConfiguration in
                let configuration = ServerConfiguration(
                    host: host, port: port, database: databaseConfiguration, passwordCost: passwordCost,
                    authRateLimit: RateLimitPolicy(attempts: authAttemptsPerMinute, window: 60),
                    logLevel: Logger.Level(rawValue: logLevel)!, syncFeedRetention: syncFeedRetentionDays * 24 * 3600,
                    syncFeedPruneInterval: .seconds(syncFeedPruneInterval), syncProtocols: try servedProtocols, smtp: try smtp,
                    webhooksAllowPrivateTargets: webhooksAllowPrivateTargets)
                let app = try await buildApplication(configuration, logger: logger)
                logger.info("HVFLVSPOT server \(HVFLVSPOT.version) listening on http://\(host):\(port)")
                try await app.runService()
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending database migrations and exit.",
            discussion: """
                Example:
                  spot server migrate --database-url postgres://spot@db.internal/spot
                """
        )

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = makeLogger(level: .info)
            try await database.withDatabase(logger: logger) { configuration in
                let level = try await ServerMaintenance.withDatabase(configuration, logger: logger) { database in
                    try await Migrator.currentVersion(database.client, logger: logger)
                }
                print("database is at migration \(level)")
            }
        }
    }

    struct CreateAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-admin",
            abstract: "Create an admin account (bootstraps a new installation).",
            discussion: """
                The password is read from standard input (first line), or prompted for without echo \
                on a terminal. It needs 10 characters at least.

                Examples:
                  spot server create-admin --email admin@example.com --name "Ada Admin"
                  printf '%s\\n' "$ADMIN_PASSWORD" | spot server create-admin --email admin@example.com --name Ada
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The admin's email (their sign-in name).")
        var email: String

        @Option(help: "The admin's display name.")
        var name = "Administrator"

        func run() async throws {
            let password = try readPassword()
            let logger = makeLogger(level: .warning)
            try await database.withDatabase(logger: logger) { configuration in
                let user = try await ServerMaintenance.withDatabase(configuration, logger: logger) { database in
                    try await ServerMaintenance.createAdmin(
                        email: email, password: password, displayName: name, database: database, logger: logger)
                }
                print("created admin \(user.email) (\(user.id.uuidString.lowercased()))")
            }
        }

        private func readPassword() throws -> String {
            if isatty(STDIN_FILENO) == 1 {
                let first = try promptWithoutEcho("Password for \(email): ")
                let second = try promptWithoutEcho("Repeat it: ")
                guard first == second else { throw CLIError.usage("the passwords differ") }
                return first
            }
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CLIError.usage("no password on standard input")
            }
            return line
        }
    }

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate realistic sample data: organizers, venues, published events, ticket types.",
            discussion: """
                Example:
                  spot server seed --events 100000
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Events to create.")
        var events = 1000

        @Option(help: "Random seed (the same seed and day give the same data).")
        var seed: UInt64 = 1

        func validate() throws {
            guard (1...10_000_000).contains(events) else { throw ValidationError("--events must be 1 to 10,000,000") }
        }

        func run() async throws {
            let logger = makeLogger(level: .warning)
            try await database.withDatabase(logger: logger) { configuration in
                let bar = ProgressBar(label: "events")
                let summary = try await ServerMaintenance.withDatabase(configuration, logger: logger) { database in
                    try await SampleData(events: events, seed: seed).insert(into: database, now: Date(), logger: logger) {
                        bar.update($0, of: $1)
                    }
                }
                bar.finish()
                print("seeded \(summary.events) events with \(summary.ticketTypes) ticket types, \(summary.venues) venues, \(summary.organizers) organizers")
            }
        }
    }
}

extension ServerCommand {
    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the organizers' ticket-signing keys.", subcommands: [Rotate.self])

        struct Rotate: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Rotate issuer keys: the active key retires (still verifying its tickets), a new one signs.",
                discussion: """
                    Examples:
                      spot server keys rotate --organizer 0193a5c0-7e00-7000-8000-00000000d001
                      spot server keys rotate --all
                    """
            )

            @OptionGroup var database: DatabaseOptions

            @Option(help: ArgumentHelp("The organizer whose key to rotate.", valueName: "UUID"))
            var organizer: UUID?

            @Flag(help: "Rotate the key of every organizer that has one.")
            var all = false

            func validate() throws {
                guard (organizer != nil) != all else { throw ValidationError("give either --organizer UUID or --all") }
            }

            func run() async throws {
                let logger = makeLogger(level: .warning)
                try await database.withDatabase(logger: logger) { configuration in
                    let results = try await ServerMaintenance.withDatabase(configuration, logger: logger) { [organizer] database in
                        try await ServerMaintenance.rotateKeys(organizer: organizer, database: database, logger: logger)
                            .map { "\($0.organizer.uuidString.lowercased()): \($0.retired.map { "retired \($0), " } ?? "")active \($0.active)" }
                    }
                    if results.isEmpty { say("no organizer has a signing key yet (keys are created with the first ticket)") }
                    for line in results { say(line) }
                }
            }
        }
    }
}

/// Where the server's data lives: a PostgreSQL URL, or a data directory holding an embedded cluster.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (env DATABASE_URL); without one, an embedded cluster in --data-dir is used.")
    var databaseURL = ProcessInfo.processInfo.environment["DATABASE_URL"]

    @Option(help: "The server's data directory (env SPOT_DATA_DIR).")
    var dataDir = ProcessInfo.processInfo.environment["SPOT_DATA_DIR"] ?? "spot-data"

    func validate() throws {
        if let databaseURL {
            do {
                _ = try DatabaseConfiguration(url: databaseURL)
            } catch {
                throw ValidationError("--database-url: \(error)")
            }
        }
    }

    /// Runs `body` with the database: the URL's, or the embedded cluster's (started or
    /// adopted first, stopped afterwards; one process per data directory).
    func withDatabase(logger: Logger, _ body: (DatabaseConfiguration) async throws -> Void) async throws {
        if let databaseURL {
            try await body(try DatabaseConfiguration(url: databaseURL))
            return
        }
        let embedded: EmbeddedPostgres
        do {
            embedded = try EmbeddedPostgres(dataDirectory: dataDir)
        } catch {
            throw CLIError.failure("\(error)")
        }
        let lock: DataDirectoryLock
        do {
            lock = try await embedded.start(logger: logger)
        } catch {
            throw CLIError.failure("embedded PostgreSQL: \(error)")
        }
        defer { withExtendedLifetime(lock) {} }
        do {
            try await body(embedded.configuration)
        } catch {
            try? embedded.stop(logger: logger)
            throw error
        }
        try embedded.stop(logger: logger)
    }
}

/// A logger writing structured lines to standard error.
func makeLogger(level: Logger.Level) -> Logger {
    var logger = Logger(label: "hvflvspot") { LineLogHandler(label: $0) }
    logger.logLevel = level
    return logger
}

/// Reads a line from the terminal with echo off.
func promptWithoutEcho(_ prompt: String) throws -> String {
    FileHandle.standardError.write(Data(prompt.utf8))
    var original = termios()
    tcgetattr(STDIN_FILENO, &original)
    var silent = original
    silent.c_lflag &= ~tcflag_t(ECHO)
    tcsetattr(STDIN_FILENO, TCSANOW, &silent)
    defer {
        tcsetattr(STDIN_FILENO, TCSANOW, &original)
        FileHandle.standardError.write(Data("\n".utf8))
    }
    guard let line = readLine(strippingNewline: true) else { throw CLIError.usage("no password given") }
    return line
}
