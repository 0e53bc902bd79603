import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SpotCore
import SpotNode
import SpotServer
import SpotTooling
import SpotSync
import ServiceLifecycle

extension BenchCommand {
    struct SyncBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sync",
            abstract: "Node bootstrap, offline-scan merge and the node's scan API, each beside its raw limit.",
            discussion: """
                Runs a server (in this process, on 127.0.0.1) over the database, seeds a venue with --tickets \
                tickets, then measures: (1) a fresh node bootstrapping the venue end to end (enroll excluded), \
                beside raw SQLite inserts of as many rows into a fresh file; (2) --nodes nodes pushing --scans \
                offline scans together, beside one raw INSERT of as many rows in PostgreSQL; (3) the bootstrapped \
                node's POST /api/v1/scans with --concurrency clients, beside raw Ed25519 verifications per core.

                Example (use a release build):
                  swift run -c release spot bench sync --data-dir /var/tmp/spot-bench
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Tickets at the benchmark venue.")
        var tickets = 100_000

        @Option(help: "Offline scans merged.")
        var scans = 50_000

        @Option(help: "Nodes pushing them at once.")
        var nodes = 5

        @Option(help: "Scans sent to the node's API (the default runs long enough to include the node's WAL checkpoints, every 5 s).")
        var apiScans = 40_000

        @Option(help: "Concurrent clients of the node's API.")
        var concurrency = 8

        func validate() throws {
            guard tickets > 0, scans > 0, nodes > 0, apiScans > 0, concurrency > 0 else {
                throw ValidationError("every count must be positive")
            }
            guard apiScans <= tickets else { throw ValidationError("--api-scans must not exceed --tickets") }
        }

        func run() async throws {
            #if DEBUG
                note("warning: this is a debug build; measure with `swift run -c release spot bench sync`")
            #endif
            let logger = makeLogger(level: .warning)
            try await database.withDatabase(logger: logger) { configuration in
                try await ServerMaintenance.withDatabase(configuration, logger: logger) { database in
                    note("preparing a venue with \(tickets) tickets …")
                    let venue = try await SyncBenchmarkVenue.prepare(tickets: tickets, database: database, logger: logger)
                    try await venue.settle(database: database, logger: logger)
                    let port = try freeLocalPort()
                    var serverConfiguration = ServerConfiguration(
                        host: "127.0.0.1", port: port, database: configuration, runsBackgroundServices: false)
                    serverConfiguration.logLevel = .warning
                    let server = try await buildApplication(serverConfiguration, logger: logger)
                    try await whileRunning(server, logger: logger) {
                        try await waitUntilHealthy(port: port)
                        try await measure(venue: venue, serverURL: "http://127.0.0.1:\(port)", database: database, logger: logger)
                    }
                }
            }
        }

        private func measure(venue: SyncBenchmarkVenue, serverURL: String, database: Database, logger: Logger) async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spot-bench-sync-\(getpid())")
            try? FileManager.default.removeItem(at: directory)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            say("CPU: \(cpuModel()); \(ProcessInfo.processInfo.activeProcessorCount) cores")

            // 1. Bootstrap.
            let client = SyncClient(serverURL: serverURL)
            let (node, _) = try await Self.enroll(client, venue: venue, database: database, path: directory.appendingPathComponent("node.sqlite").path, logger: logger)
            let engine = SyncEngine(database: node, client: client)
            let started = ContinuousClock.now
            let report = try await engine.sync()
            let bootstrap = seconds(ContinuousClock.now - started)
            let raw = seconds(try NodeDatabase.rawInsertDuration(rows: report.snapshotTickets, path: directory.appendingPathComponent("raw.sqlite").path))
            say("bootstrap of a fresh node (snapshot over HTTP, decode, SQLite, one transaction):")
            say(String(format: "  %d tickets in %.3f s = %.0f tickets/s   (raw SQLite inserts, same run: %.0f rows/s, %.3f s)",
                       report.snapshotTickets, bootstrap, Double(report.snapshotTickets) / bootstrap,
                       Double(report.snapshotTickets) / raw, raw))

            // 2. Merge of offline scans from several nodes.
            let ids = try await venue.ticketIDs(limit: min(scans, venue.ticketCount), database: database, logger: logger)
            var pushers: [(UUID, String)] = []
            for index in 0..<nodes {
                let (nodeDatabase, _) = try await Self.enroll(
                    client, venue: venue, database: database,
                    path: directory.appendingPathComponent("merge-\(index).sqlite").path, logger: logger)
                let state = try nodeDatabase.syncState()
                pushers.append((try nodeDatabase.identity().nodeID, state.token))
            }
            let perNode = scans / nodes
            let base = Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000
            let batches: [[PushRequest]] = pushers.enumerated().map { index, pusher in
                let mutations = (0..<perNode).map { offset in
                    // Overlapping ranges: neighbouring nodes admit some of the same tickets.
                    let ticket = ids[(index * perNode * 9 / 10 + offset) % ids.count]
                    return SyncMutation(mutationID: Int64(offset + 1), body: .scan(SyncScan(
                        id: UUID(), ticketID: ticket, issueVersion: 1, eventID: venue.eventID, direction: .entry,
                        gate: "Gate \(index)", nodeID: pusher.0, hlc: HLCTimestamp(wallMilliseconds: base + Int64(offset)),
                        verdict: .ok)))
                }
                return stride(from: 0, to: mutations.count, by: PushRequest.maximumMutations).map {
                    PushRequest(
                        nodeID: pusher.0, clock: SyncClockReading(hlc: HLCTimestamp(wallMilliseconds: base), wallMilliseconds: base + 3_600_000),
                        mutations: Array(mutations[$0..<min($0 + PushRequest.maximumMutations, mutations.count)]))
                }
            }
            // Each node encodes its batches on its own hardware: the bodies are ready before the clock starts.
            let bodies = try batches.map { requests in try requests.map { try SyncJSON.encoder.encode($0) } }
            let mergeStart = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, requests) in bodies.enumerated() {
                    let token = pushers[index].1
                    group.addTask {
                        for body in requests {
                            let (status, answer) = try await client.postRaw("/api/v1/sync/push", body: body, token: token)
                            guard status == 200 else {
                                throw CLIError.failure("a benchmark push was refused (HTTP \(status)): \(String(decoding: answer, as: UTF8.self))")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let merge = seconds(ContinuousClock.now - mergeStart)
            let merged = try await venue.scanCount(database: database, logger: logger)
            guard merged == perNode * nodes else {
                throw CLIError.failure("the merge stored \(merged) scans, expected \(perNode * nodes)")
            }
            let rawMerge = try await SyncBenchmarkVenue.rawInsertSeconds(rows: perNode * nodes, database: database, logger: logger)
            let conflictCount = try await venue.conflictCount(database: database, logger: logger)
            say("merge of offline scans (\(nodes) nodes pushing batches of \(PushRequest.maximumMutations) at once, conflicts detected):")
            say(String(format: "  %d scans in %.3f s = %.0f scans/s, %d conflicts   (raw INSERT of as many rows, same run: %.3f s)",
                       perNode * nodes, merge, Double(perNode * nodes) / merge, conflictCount, rawMerge))

            // 3. The node's scan API, in steady state: caught up with the merged scans first, so
            // its background sync has nothing to pull while the doors are measured.
            _ = try await engine.sync()
            try await scanAPI(node: node, venue: venue, ids: ids, logger: logger)
        }

        private func scanAPI(node: NodeDatabase, venue: SyncBenchmarkVenue, ids: [UUID], logger: Logger) async throws {
            let payloads = try ids.prefix(apiScans).map {
                try SignedTicket.sign(
                    TicketClaims(ticketID: $0, eventID: venue.eventID, ticketTypeID: venue.ticketTypeID), with: venue.issuer
                ).text
            }
            let port = try freeLocalPort()
            let app = try buildNodeApplication(
                database: node, configuration: NodeConfiguration(host: "127.0.0.1", port: port, syncInterval: .seconds(3600)),
                logger: logger)
            var http = HTTPClient.Configuration()
            http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
            let httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
            let (latencies, elapsed): ([Duration], Double) = try await whileRunning(app, logger: logger) {
                try await waitUntilHealthy(port: port)
                let token = try await Self.signIn(port: port, node: node, client: httpClient)
                let requests = payloads.map { payload in
                    let body = #"{"payload":"\#(payload)","gate":"Bench"}"#
                    return Array((
                        "POST /api/v1/scans HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Authorization: Bearer \(token)\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
                }
                let start = ContinuousClock.now
                let all = try await BenchLoadClient(port: port).run(clients: concurrency, requests: requests)
                return (all, seconds(ContinuousClock.now - start))
            }
            try await httpClient.shutdown()
            let sorted = latencies.sorted()
            func ms(_ q: Double) -> Double { seconds(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) * 1000 }
            let rawVerifies = rawEd25519VerifiesPerSecond(issuer: venue.issuer, payload: payloads[0])
            say("the node's POST /api/v1/scans (HTTP, verdict, scan + outbox in one SQLite transaction), \(concurrency) clients:")
            say(String(format: "  %d scans in %.3f s = %.0f scans/s; p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms   (raw Ed25519 verifies on one core, same run: %.0f/s)",
                       sorted.count, elapsed, Double(sorted.count) / elapsed, ms(0.5), ms(0.9), ms(0.99), ms(1), rawVerifies))
        }

        static func enroll(
            _ client: SyncClient, venue: SyncBenchmarkVenue, database: Database, path: String, logger: Logger
        ) async throws -> (NodeDatabase, SigningKey) {
            let key = SigningKey()
            let code = try await venue.enrollmentCode(database: database, logger: logger)
            let response = try await client.enroll(EnrollRequest(
                code: code, devicePublicKey: Data(key.publicKey.rawRepresentation).base64EncodedString(), name: "Bench"))
            let node = try NodeDatabase.open(path: path)
            try node.storeEnrollment(response, serverURL: client.serverURL, deviceKey: key, now: Date())
            return (node, key)
        }

        /// Gives the benchmark node a staff PIN and signs in, as door staff do: the scan API needs a session.
        static func signIn(port: Int, node: NodeDatabase, client: HTTPClient) async throws -> String {
            let pin = "13579"
            try node.setStaffPIN(hash: try StaffPIN.hash(pin), now: Date())
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/session")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"pin":"\#(pin)"}"#))
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 16)
            struct Session: Decodable { let token: String }
            guard response.status == .created, let session = try? JSONDecoder().decode(Session.self, from: Data(buffer: body)) else {
                throw CLIError.failure("staff sign-in answered \(response.status)")
            }
            return session.token
        }
    }
}

/// Seconds in a duration (the benchmarks' figures).
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Raw Ed25519 verifications per second on one core (the same payload, re-verified for one second).
private func rawEd25519VerifiesPerSecond(issuer: SigningKey, payload: String) -> Double {
    guard let ticket = try? SignedTicket(text: payload) else { return 0 }
    var count = 0
    let start = ContinuousClock.now
    while ContinuousClock.now - start < .seconds(1) {
        for _ in 0..<100 where ticket.isSigned(by: issuer.publicKey) { count += 1 }
    }
    return Double(count) / seconds(ContinuousClock.now - start)
}

/// Runs `service` while `body` runs, then shuts it down gracefully, as SIGTERM would (no
/// cancellation errors in the benchmark's output).
func whileRunning<T: Sendable>(
    _ service: some Service, logger: Logger, _ body: () async throws -> T
) async throws -> T {
    let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
    }
}

/// A TCP port on 127.0.0.1 that nobody listens on right now.
func freeLocalPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw CLIError.failure("no free port: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}
