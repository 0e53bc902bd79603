import ArgumentParser
import Foundation
import Logging
import SpotCore
import SpotNode
import SpotSync

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a venue edge node: enroll it, run its local API and background sync, show its status.",
        subcommands: [Enroll.self, Run.self, Status.self, Sync.self, Pin.self, TLS.self]
    )

    struct DataOption: ParsableArguments {
        @Option(help: "The node's data directory (its SQLite database lives there).")
        var data: String

        var databasePath: String { (data as NSString).appendingPathComponent("node.sqlite") }

        /// Opens the node's database; a directory without one is a usage error.
        func open(creating: Bool = false) throws -> NodeDatabase {
            if !creating, !FileManager.default.fileExists(atPath: databasePath) {
                throw CLIError.usage(
                    "no node in '\(data)': enroll one first with 'spot node enroll --server URL --code CODE --data \(data)'")
            }
            try Files.makeDirectory(data)
            do {
                let database = try NodeDatabase.open(path: databasePath)
                chmod(databasePath, 0o600)
                return database
            } catch {
                throw CLIError.failure("cannot open '\(databasePath)': \(error)")
            }
        }
    }

    struct ProtocolOption: ParsableArguments {
        @Option(help: ArgumentHelp(
            "The sync protocol version to speak: 2 follows the venue live; 1 polls, for a server that serves only v1.",
            valueName: "VERSION"))
        var syncProtocol = SyncProtocolVersion.current.rawValue

        func validate() throws {
            do {
                _ = try SyncProtocolVersion.negotiate(syncProtocol)
            } catch {
                throw ValidationError("--sync-protocol \(syncProtocol) is not spoken by this node (it speaks \(error.supported.map { "\($0)" }.joined(separator: " and ")))")
            }
        }

        var version: SyncProtocolVersion { SyncProtocolVersion(rawValue: syncProtocol) }
    }

    struct Enroll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enroll this node with the server using a one-time code from the organizer.",
            discussion: """
                Generates the node's Ed25519 device key, sends its public half with the code, and stores \
                the node's identity, device key and 30-day device credential in DIR/node.sqlite (mode 0600). \
                The first sync then downloads the venue and the device certificate.

                Door staff sign in to the kiosk with the node's staff PIN: give one with --pin (or the \
                SPOT_NODE_PIN environment variable), or a random 6-digit PIN is made and printed once. \
                Change it any time with 'spot node pin'.

                Example:
                  spot node enroll --server https://tickets.example.org --code 7KQ2-M9XD-4RTA --data /var/lib/spot-node
                """
        )

        @Option(help: "The central server's URL.")
        var server: String

        @Option(help: "The one-time enrollment code (from POST /api/v1/venues/{id}/enrollment-codes).")
        var code: String

        @Option(help: "A name for this node, shown to the organizer (default: the code's name).")
        var name: String?

        @Option(help: "The staff PIN for the kiosk, 4 to 12 digits (env SPOT_NODE_PIN; default: a random one, printed).")
        var pin: String?

        @OptionGroup var data: DataOption

        @OptionGroup var protocolOption: ProtocolOption

        /// `--pin`, else SPOT_NODE_PIN, else nil (make one).
        var givenPIN: String? { pin ?? ProcessInfo.processInfo.environment["SPOT_NODE_PIN"] }

        func validate() throws {
            if let givenPIN, !StaffPIN.isValid(givenPIN) { throw ValidationError("--pin: \(StaffPIN.Invalid.format)") }
            guard let url = URL(string: server), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ValidationError("--server must be an http(s) URL such as https://tickets.example.org")
            }
        }

        func run() async throws {
            let database = try data.open(creating: true)
            if try database.isEnrolled() {
                throw CLIError.usage("'\(data.data)' already holds an enrolled node: use another --data directory")
            }
            let deviceKey = SigningKey()
            let client = SyncClient(serverURL: server, protocolVersion: protocolOption.version)
            let response: EnrollResponse
            do {
                response = try await client.enroll(EnrollRequest(
                    protocolVersion: protocolOption.version.rawValue, code: code, devicePublicKey: Data(deviceKey.publicKey.rawRepresentation).base64EncodedString(),
                    name: name ?? ""))
            } catch {
                throw CLIError.failure("enrollment failed: \(error)")
            }
            try database.storeEnrollment(response, serverURL: client.serverURL, deviceKey: deviceKey, now: Date())
            let staffPIN = givenPIN ?? StaffPIN.random()
            try database.setStaffPIN(hash: try StaffPIN.hash(staffPIN), now: Date())
            say("""
                Enrolled node \(response.node.name) (\(response.node.id.uuidString.lowercased())) \
                for \(response.node.venueName).
                Device key \(deviceKey.keyID); credential valid until \(response.credential.expiresAt.formatted(.iso8601)).
                """)
            if givenPIN == nil {
                say("Staff PIN for the kiosk: \(staffPIN)  (shown once; change it with 'spot node pin --data \(data.data)')")
            }
            say("Next: spot node sync --data \(data.data)   then   spot node run --data \(data.data)")
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the node: its local API for scans and door sales, and background sync.",
            discussion: """
                Scans and sales work with or without the server; the background sync pushes them at once \
                and follows the venue's changes live (sync protocol 2: the server holds a pull open until \
                something changes), backing off while the server is unreachable. A server silent for 4 s \
                counts as offline. SIGINT or SIGTERM shut it down gracefully.

                Example:
                  spot node run --data /var/lib/spot-node --port 8081 --host 0.0.0.0
                """
        )

        @OptionGroup var data: DataOption

        @Option(help: "Address to listen on (0.0.0.0 for the venue LAN).")
        var host = "127.0.0.1"

        @Option(help: "Port to listen on (with HTTPS set up by 'spot node tls': the trust page for phones, and redirects).")
        var port = 8081

        @Option(help: "Port of the HTTPS listener, once 'spot node tls' has set it up.")
        var httpsPort = 8443

        @Option(help: "Seconds between background syncs with protocol 1, and the first pause after a failure.")
        var syncInterval = 10.0

        @OptionGroup var protocolOption: ProtocolOption

        @Option(help: "trace, debug, info, notice, warning, error or critical.")
        var logLevel = "info"

        @Option(help: ArgumentHelp("Mutations per push request (1 to 1000).", visibility: .hidden))
        var pushBatchSize = 500

        @Option(help: ArgumentHelp(
            "The kiosk web app's folder (env SPOT_KIOSK_DIR; default: Kiosk/ in the working directory or the source tree).",
            valueName: "DIR"))
        var kiosk: String?

        @Option(help: "Seconds without activity after which a kiosk's staff session ends (5 to 86400).")
        var staffIdleTimeout = 300

        @Option(name: .customLong("peer"), help: ArgumentHelp(
            "Another node of the venue to follow on the LAN, by its base URL (repeatable; its https:// address once it has HTTPS).",
            valueName: "URL"))
        var peers: [String] = []

        @Option(name: .customLong("advertise"), help: ArgumentHelp(
            "A base URL the venue's other nodes reach this node at, told to the server for them (repeatable; default: its address and HTTPS port, or HTTP port without HTTPS, each LAN address when --host is 0.0.0.0).",
            valueName: "URL"))
        var advertise: [String] = []

        @Option(help: ArgumentHelp(
            "When this node stops answering, its kiosks offer staff the switch to a peer in touch (offer), or make it (switch); default: the venue's setting.",
            valueName: "offer|switch"))
        var kioskFailover: KioskFailover?

        @Option(help: ArgumentHelp(
            "Seconds a peer's fact is held before this node relays it to the server, unless the peer says the server has it (1 to 86400).",
            valueName: "SECONDS"))
        var relayAfter = PeerProtocol.relayAfterSeconds

        func validate() throws {
            if let kiosk, !FileManager.default.fileExists(atPath: kiosk + "/index.html") {
                throw ValidationError("--kiosk \(kiosk) holds no index.html")
            }
            guard (1...PushRequest.maximumMutations).contains(pushBatchSize) else {
                throw ValidationError("--push-batch-size must be 1 to \(PushRequest.maximumMutations)")
            }
            guard (1...65535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
            guard (1...65535).contains(httpsPort), httpsPort != port else {
                throw ValidationError("--https-port must be 1 to 65535, and not --port")
            }
            guard syncInterval >= 0.1, syncInterval <= 86_400 else { throw ValidationError("--sync-interval must be 0.1 to 86400") }
            guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level is not a log level") }
            guard (5...86_400).contains(staffIdleTimeout) else { throw ValidationError("--staff-idle-timeout must be 5 to 86400") }
            guard (1...86_400).contains(relayAfter) else { throw ValidationError("--relay-after must be 1 to 86400") }
            guard advertise.count <= FieldLimits.advertisedURLs.upperBound else {
                throw ValidationError("--advertise may be given at most \(FieldLimits.advertisedURLs.upperBound) times")
            }
            for url in advertise {
                if let problem = PeersRequest.urlProblem(url) { throw ValidationError("--advertise \(url): \(problem)") }
            }
            for peer in peers {
                guard let url = URL(string: peer), ["http", "https"].contains(url.scheme), url.host != nil, url.path.isEmpty || url.path == "/",
                    url.query == nil
                else { throw ValidationError("--peer \(peer) is not a node's base URL (http[s]://HOST:PORT)") }
            }
        }

        var kioskDirectory: String? { kioskFolder(explicit: kiosk) }

        func run() async throws {
            let database = try data.open()
            let logger = makeLogger(level: Logger.Level(rawValue: logLevel)!)
            let identity: NodeIdentity
            do {
                identity = try database.identity()
            } catch {
                throw CLIError.usage("\(error)")
            }
            guard try database.staffPINHash() != nil else {
                throw CLIError.usage("no staff PIN is set, so nobody could sign in: run 'spot node pin --data \(data.data)' first")
            }
            let tls: NodeTLS?
            do {
                let loaded = try NodeTLS.load(data: data.data, now: Date())
                if loaded?.renewed == true {
                    logger.notice("renewed the node certificate", metadata: ["valid_until": "\(loaded!.tls.expiresAt)"])
                }
                tls = loaded?.tls
            } catch {
                throw CLIError.failure("HTTPS: \(error)")
            }
            let app = try buildNodeApplication(
                database: database,
                configuration: NodeConfiguration(
                    host: host, port: port, syncInterval: .milliseconds(Int64(syncInterval * 1000)),
                    pushBatchSize: pushBatchSize, kioskDirectory: kioskDirectory,
                    staffIdleTimeout: .seconds(staffIdleTimeout), protocolVersion: protocolOption.version, tls: tls,
                    httpsPort: httpsPort, peers: peers.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
                    relayAfter: .seconds(relayAfter), advertise: advertise.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
                    kioskFailover: kioskFailover),
                logger: logger)
            let base = tls == nil ? "http://\(host):\(port)" : "https://\(host):\(httpsPort)"
            logger.info("HVFLVSPOT node \(identity.name) for \(identity.venueName) listening on \(base)")
            if tls != nil {
                logger.info("phones: http://\(host):\(port)/trust says how to trust the venue CA; other plain HTTP goes to HTTPS")
            }
            if kioskDirectory != nil {
                logger.info("kiosk: \(base)/kiosk/")
            } else {
                logger.warning("no kiosk folder found (pass --kiosk DIR): serving the API only")
            }
            try await app.runService()
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the node's sync health: online, outbox, last pull and push, clock offset, protocol.")

        @OptionGroup var data: DataOption

        @Flag(help: "Print JSON instead of text.")
        var json = false

        func run() async throws {
            let status: NodeStatus
            do {
                status = try data.open().status()
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError.failure("\(error)")
            }
            if json {
                say(String(decoding: try SyncJSON.prettyEncoder.encode(status), as: UTF8.self))
                return
            }
            func when(_ date: Date?) -> String { date.map { $0.formatted(.iso8601) } ?? "never" }
            var lines = [
                "node        \(status.name) (\(status.nodeID.uuidString.lowercased()))",
                "venue       \(status.venueName)",
                "server      \(status.serverURL) — \(status.online ? "online" : "offline")"
                    + (status.lastError.map { " (\($0))" } ?? ""),
                "last sync   \(when(status.lastSuccessAt)) (attempt \(when(status.lastAttemptAt)))",
                "last pull   \(when(status.lastPullAt))",
                "last push   \(when(status.lastPushAt))",
                "outbox      \(status.outboxDepth) waiting" + (status.rejectedMutations > 0 ? ", \(status.rejectedMutations) rejected" : ""),
                "clock       offset \(status.clockOffsetMs.map { "\($0) ms" } ?? "unknown"), HLC \(status.hlc)"
                    + (status.clockSkewError.map { " — \($0)" } ?? ""),
                "protocol    \(status.protocolVersion.map { "v\($0)" } ?? "unknown")",
                "replica     \(status.events) events, \(status.tickets) tickets, \(status.scans) scans, "
                    + "\(status.doorSales) door sales, \(status.conflicts) conflicts"
                    + (status.bootstrapped ? "" : " (not bootstrapped yet)"),
                "credential  valid until \(status.credentialExpiresAt.formatted(.iso8601))",
            ]
            for allotment in status.allotments {
                lines.append("allotment   \(allotment.name): \(allotment.remaining) of \(allotment.granted) left (\(allotment.soldHere) sold here)")
            }
            for peer in status.peers {
                lines.append(
                    "peer        \(peer.name) (\(peer.nodeID.uuidString.lowercased())), last heard \(when(peer.lastContactAt))"
                        + (peer.toRelay > 0 ? ", \(peer.toRelay) of its facts held for the server" : ""))
            }
            say(lines.joined(separator: "\n"))
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sync once now: push the outbox, bootstrap if needed, pull the venue's changes.")

        @OptionGroup var data: DataOption

        @OptionGroup var protocolOption: ProtocolOption

        func run() async throws {
            let database = try data.open()
            let identity: NodeIdentity
            do {
                identity = try database.identity()
            } catch {
                throw CLIError.usage("\(error)")
            }
            let bar = ProgressBar(label: "mutations pushed")
            let engine = SyncEngine(
                database: database, client: SyncClient(serverURL: identity.serverURL, protocolVersion: protocolOption.version))
            let report: SyncEngine.Report
            do {
                report = try await engine.sync { progress in
                    switch progress {
                    case .pushing(let done, let total): bar.update(done, of: total)
                    case .bootstrapping: say("Downloading the venue snapshot…")
                    case .bootstrapped(let tickets): say("Snapshot applied: \(tickets) tickets.")
                    case .pulled(let changes): if changes > 0 { say("Pulled \(changes) changes.") }
                    }
                }
            } catch {
                bar.finish()
                throw CLIError.failure("sync failed: \(error)")
            }
            bar.finish()
            let pushed = report.pushed
            say("""
                Synced: pushed \(pushed.applied) applied, \(pushed.duplicates) duplicate, \(pushed.conflicts) conflict, \
                \(pushed.rejected) rejected; \(report.bootstrapped ? "bootstrapped, " : "")\(report.changes) changes pulled.
                """)
        }
    }

    struct Pin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set or change the staff PIN door staff sign in to the kiosk with.",
            discussion: """
                Reads the new PIN (4 to 12 digits) from --pin, else SPOT_NODE_PIN, else asks for it \
                (without echo) or reads one line from standard input. Only a bcrypt hash is stored. \
                A running node uses the new PIN for the next sign-in; open sessions continue.

                Examples:
                  spot node pin --data /var/lib/spot-node
                  echo 482913 | spot node pin --data /var/lib/spot-node
                """
        )

        @OptionGroup var data: DataOption

        @Option(help: "The new PIN (prefer the prompt: options are visible to other users in ps).")
        var pin: String?

        func run() async throws {
            let database = try data.open()
            guard try database.isEnrolled() else { throw CLIError.usage("'\(data.data)' holds no enrolled node") }
            guard let newPIN = pin ?? ProcessInfo.processInfo.environment["SPOT_NODE_PIN"] ?? Self.ask() else {
                throw CLIError.usage("no PIN given: pass --pin, set SPOT_NODE_PIN, or type it when asked")
            }
            let hash: String
            do {
                hash = try StaffPIN.hash(newPIN)
            } catch {
                throw CLIError.usage("\(error)")
            }
            try database.setStaffPIN(hash: hash, now: Date())
            say("Staff PIN set. Door staff sign in to the kiosk with it.")
        }

        /// Asks without echo on a terminal, else reads one line of standard input.
        static func ask() -> String? {
            if isatty(STDIN_FILENO) == 1 {
                guard let typed = getpass("New staff PIN (4 to 12 digits): ") else { return nil }
                let pin = String(cString: typed)
                guard let again = getpass("Again: "), String(cString: again) == pin else {
                    say("The two PINs differ.")
                    return nil
                }
                return pin
            }
            return readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces)
        }
    }
}

extension KioskFailover: ExpressibleByArgument {}
