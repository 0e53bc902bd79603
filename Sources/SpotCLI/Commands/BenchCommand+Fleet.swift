import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import SpotCore
import SpotServer
import SpotTooling
import SpotSync
import Synchronization

extension BenchCommand {
    struct FleetBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fleet",
            abstract: "Thousands of idle nodes on one server: its memory and CPU per node, and how fast a revocation reaches them all.",
            discussion: """
                For each --nodes count and each protocol, starts `spot server` as a process of its own on the \
                database, enrolls that many nodes (--nodes-per-venue per venue, all venues of one organizer), and \
                runs them from this process over real sockets: protocol 2 nodes hold pulls open (25 s waits), \
                protocol 1 nodes poll every --poll-interval seconds. Once every node is following, it measures \
                the server process's CPU and resident memory over --idle-seconds (beside the same server with no \
                nodes), then retires the organizer's signing key --trials times and times how long the new key \
                takes to reach every node (p50, p99, max).

                Example (use a release build):
                  swift run -c release spot bench fleet --database-url postgres://postgres@/postgres?host=/tmp/pg
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Node counts, comma-separated.")
        var nodes = "1000,5000"

        @Option(help: "Nodes per venue.")
        var nodesPerVenue = 5

        @Option(help: "Seconds of idle load measured.")
        var idleSeconds = 30.0

        @Option(help: "Key revocations timed per run.")
        var trials = 3

        @Option(help: "Seconds between a protocol 1 node's polls (the node's default).")
        var pollInterval = 10.0

        @Option(help: "Protocols to measure, comma-separated.")
        var protocols = "2,1"

        var counts: [Int] { nodes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        var versions: [SyncProtocolVersion] {
            protocols.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                .map(SyncProtocolVersion.init(rawValue:))
        }

        func validate() throws {
            guard !counts.isEmpty, counts.allSatisfy({ (1...20_000).contains($0) }) else {
                throw ValidationError("--nodes must list counts of 1 to 20000")
            }
            guard (1...100).contains(nodesPerVenue) else { throw ValidationError("--nodes-per-venue must be 1 to 100") }
            guard idleSeconds >= 5, idleSeconds <= 3600 else { throw ValidationError("--idle-seconds must be 5 to 3600") }
            guard (1...20).contains(trials) else { throw ValidationError("--trials must be 1 to 20") }
            guard pollInterval >= 1, pollInterval <= 600 else { throw ValidationError("--poll-interval must be 1 to 600") }
            guard !versions.isEmpty, versions.allSatisfy(SyncProtocolVersion.supported.contains) else {
                throw ValidationError("--protocols must list versions this build speaks (1, 2)")
            }
        }

        func run() async throws {
            #if DEBUG
                note("warning: this is a debug build; measure with `swift run -c release spot bench fleet`")
            #endif
            raiseOpenFileLimit()
            let logger = makeLogger(level: .warning)
            try await database.withDatabase(logger: logger) { configuration in
                try await ServerMaintenance.withDatabase(configuration, logger: logger) { database in
                    var results: [FleetResult] = []
                    for count in counts {
                        for version in versions {
                            results.append(try await measure(
                                nodes: count, version: version, configuration: configuration, database: database, logger: logger))
                        }
                    }
                    print("CPU: \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores; "
                        + "server: its own process; nodes: this process, real sockets on 127.0.0.1")
                    print(FleetResult.table(results))
                }
            }
        }

        private func measure(
            nodes count: Int, version: SyncProtocolVersion, configuration: DatabaseConfiguration, database: Database,
            logger: Logger
        ) async throws -> FleetResult {
            let venues = (count + nodesPerVenue - 1) / nodesPerVenue
            note("\(count) nodes, protocol \(version): enrolling at \(venues) venues …")
            let setup = try await FleetBenchmarkSetup.prepare(
                venues: venues, nodesPerVenue: nodesPerVenue, database: database, logger: logger)
            let server = try ServerChild.start(databaseURL: configuration.url)
            defer { server.stop() }
            try await waitUntilHealthy(port: server.port)
            try await Task.sleep(for: .seconds(2))
            let empty = try await server.sample(over: .seconds(5))
            let fleet = SimulatedFleet(
                nodes: setup.nodes, serverURL: "http://127.0.0.1:\(server.port)", version: version,
                pollInterval: .milliseconds(Int64(pollInterval * 1000)))
            return try await fleet.running {
                note("  following: waiting for every node to catch up …")
                try await fleet.waitUntilFollowing(timeout: .seconds(300))
                // Past one whole wait (25 s) or poll, so re-polls are part of what is measured.
                try await Task.sleep(for: .seconds(max(LivePull.defaultWait + 5, Int(pollInterval) + 5)))
                note("  idle: measuring the server for \(Int(idleSeconds)) s …")
                let requestsBefore = fleet.answers
                let idle = try await server.sample(over: .milliseconds(Int64(idleSeconds * 1000)))
                let requestRate = Double(fleet.answers - requestsBefore) / idleSeconds
                var latencies: [Duration] = []
                for trial in 1...trials {
                    let started = ContinuousClock.now
                    let key = try await setup.revokeKey(database: database, logger: logger)
                    fleet.expect(key: key, since: started)
                    let reached = try await fleet.waitForEveryNode(timeout: .seconds(120))
                    latencies += reached
                    note("  revocation \(trial)/\(trials): \(reached.count) of \(count) nodes, max \(reached.max().map(Self.seconds) ?? "-")")
                    try await Task.sleep(for: .seconds(2))
                }
                return FleetResult(
                    nodes: count, version: version, emptyRSS: empty.rssBytes, idleRSS: idle.rssBytes, idleCPU: idle.cpuFraction,
                    emptyCPU: empty.cpuFraction, requestsPerSecond: requestRate, latencies: latencies.sorted(),
                    expected: count * trials)
            }
        }

        static func seconds(_ duration: Duration) -> String {
            String(format: "%.2f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        }

        /// Thousands of sockets on each side: lift the soft limit on open files to the hard one.
        private func raiseOpenFileLimit() {
            var limit = rlimit()
            guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(RLIMIT_NOFILE_VALUE, &limit)
        }
    }
}

#if canImport(Glibc)
    import Glibc
    private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
    private let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
#endif

/// One run's figures.
struct FleetResult {
    let nodes: Int
    let version: SyncProtocolVersion
    let emptyRSS: Int
    let idleRSS: Int
    let idleCPU: Double
    let emptyCPU: Double
    let requestsPerSecond: Double
    let latencies: [Duration]
    let expected: Int

    func percentile(_ p: Double) -> String {
        guard !latencies.isEmpty else { return "-" }
        let index = min(latencies.count - 1, max(0, Int((Double(latencies.count) * p).rounded(.up)) - 1))
        return BenchCommand.FleetBench.seconds(latencies[index])
    }

    static func table(_ results: [FleetResult]) -> String {
        var lines = [
            "| nodes | protocol | server RSS idle (empty) | per node | server CPU idle (empty) | per node | requests/s | revocation reached all: p50 / p99 / max | reached |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in results {
            let perNode = Double(r.idleRSS - r.emptyRSS) / Double(r.nodes)
            let cpuPerNode = (r.idleCPU - r.emptyCPU) / Double(r.nodes)
            lines.append(
                "| \(r.nodes) | v\(r.version.rawValue) | \(r.idleRSS / 1_048_576) MiB (\(r.emptyRSS / 1_048_576) MiB) | "
                    + String(format: "%.1f KiB", perNode / 1024) + " | "
                    + String(format: "%.1f %% (%.1f %%)", r.idleCPU * 100, r.emptyCPU * 100) + " of one core | "
                    + String(format: "%.4f %%", cpuPerNode * 100) + " | " + String(format: "%.0f", r.requestsPerSecond) + " | "
                    + "\(r.percentile(0.5)) / \(r.percentile(0.99)) / \(r.latencies.last.map(BenchCommand.FleetBench.seconds) ?? "-") | "
                    + "\(r.latencies.count) of \(r.expected) |")
        }
        return lines.joined(separator: "\n")
    }
}

/// `spot server` as a child process on a free port, and what `/proc` says about it.
final class ServerChild: Sendable {
    let process: Process
    let port: Int

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    static func start(databaseURL: String) throws -> ServerChild {
        let port = try freeLocalPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        process.arguments = ["server", "--port", String(port), "--log-level", "error"]
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return ServerChild(process: process, port: port)
    }

    /// An access token for `email` (an account the benchmark set a password for).
    func signIn(email: String, password: String) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/auth/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = try JSONSerialization.data(withJSONObject: ["email": email, "password": password])
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let answer = try await response.body.collect(upTo: 1 << 16)
        struct Session: Decodable { let access_token: String }
        guard response.status == .ok, let session = try? JSONDecoder().decode(Session.self, from: Data(buffer: answer)) else {
            throw CLIError.failure("signing in as \(email) answered HTTP \(response.status.code)")
        }
        return session.access_token
    }

    func stop() {
        guard process.isRunning else { return }
        process.interrupt()
        process.waitUntilExit()
    }

    struct Sample {
        let rssBytes: Int
        let cpuFraction: Double
    }

    /// CPU used over `window` (fraction of one core) and resident memory at its end.
    func sample(over window: Duration) async throws -> Sample {
        let before = try cpuTicks()
        let clock = ContinuousClock()
        let started = clock.now
        try await Task.sleep(for: window)
        let elapsed = clock.now - started
        let ticks = try cpuTicks() - before
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Sample(rssBytes: try rss(), cpuFraction: Double(ticks) / Double(sysconf(Int32(_SC_CLK_TCK))) / seconds)
    }

    private func cpuTicks() throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces) start after the last ')'.
        guard let close = stat.lastIndex(of: ")") else { throw CLIError.failure("unreadable /proc stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else {
            throw CLIError.failure("unreadable /proc stat")
        }
        return user + system
    }

    /// Resident memory now.
    func rss() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw CLIError.failure("unreadable /proc status") }
        return kib * 1024
    }
}

/// The simulated nodes: each a loop of pulls over its own connection, as `spot node run`
/// follows its venue (protocol 2) or polls it (protocol 1); they keep only their cursor.
final class SimulatedFleet: Sendable {
    let nodes: [FleetBenchmarkSetup.Node]
    let serverURL: String
    let version: SyncProtocolVersion
    let pollInterval: Duration
    /// One client per ``nodesPerClient`` nodes: a connection pool scans its connections on every
    /// request, so one pool of thousands would make the load generator, not the server, the bottleneck.
    let clients: [HTTPClient]
    static let nodesPerClient = 50

    private struct State {
        var following = Set<Int>()
        var answers = 0
        var awaited: (key: String, since: ContinuousClock.Instant)?
        var reached: [Int: Duration] = [:]
        var failures = 0
    }

    private let state = Mutex(State())

    init(nodes: [FleetBenchmarkSetup.Node], serverURL: String, version: SyncProtocolVersion, pollInterval: Duration) {
        self.nodes = nodes
        self.serverURL = serverURL
        self.version = version
        self.pollInterval = pollInterval
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(30), read: .seconds(60))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = Self.nodesPerClient + 16
        configuration.connectionPool.idleTimeout = .seconds(120)
        clients = (0..<(nodes.count + Self.nodesPerClient - 1) / Self.nodesPerClient).map { _ in
            HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        }
    }

    var answers: Int { state.withLock { $0.answers } }

    /// Runs every node while `body` measures, then stops them.
    func running<Result>(_ body: () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in nodes.indices {
                group.addTask { await self.follow(index) }
            }
            defer { group.cancelAll() }
            let result = try await body()
            group.cancelAll()
            for client in clients { try? await client.shutdown() }
            return result
        }
    }

    func waitUntilFollowing(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ $0.following.count }) < nodes.count {
            guard ContinuousClock.now < deadline else {
                let (following, failures) = state.withLock { ($0.following.count, $0.failures) }
                throw CLIError.failure("only \(following) of \(nodes.count) nodes caught up (\(failures) failed requests)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func expect(key: String, since: ContinuousClock.Instant) {
        state.withLock {
            $0.awaited = (key, since)
            $0.reached = [:]
        }
    }

    /// The time the awaited key took to reach each node (all of them, or those it reached by the timeout).
    func waitForEveryNode(timeout: Duration) async throws -> [Duration] {
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ $0.reached.count }) < nodes.count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return state.withLock { state in
            state.awaited = nil
            return Array(state.reached.values)
        }
    }

    private func follow(_ index: Int) async {
        let node = nodes[index]
        var cursor = "0.0"
        var digest: String?
        var caughtUp = false
        var generator = SystemRandomNumberGenerator()
        let live = version >= .livePull
        if !live {
            // Polling nodes start at random points of their interval, as real ones do.
            try? await Task.sleep(for: pollInterval * Double.random(in: 0..<1, using: &generator))
        }
        while !Task.isCancelled {
            do {
                let page = try await pull(
                    node, via: clients[index / Self.nodesPerClient], cursor: cursor, wait: caughtUp && live ? LivePull.defaultWait : nil, digest: digest)
                cursor = page.cursor
                digest = page.stateDigest
                let now = ContinuousClock.now
                state.withLock { state in
                    state.answers += 1
                    if !page.hasMore { state.following.insert(index) }
                    if let awaited = state.awaited, state.reached[index] == nil,
                        page.trust.issuerKeys.contains(where: { $0.keyID == awaited.key && $0.status == "active" })
                    {
                        state.reached[index] = now - awaited.since
                    }
                }
                if page.hasMore { continue }
                caughtUp = true
                if !live { try await Task.sleep(for: pollInterval * Double.random(in: 0.8...1.2, using: &generator)) }
            } catch {
                if Task.isCancelled { return }
                state.withLock { $0.failures += 1 }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// What a simulated node reads of a page: where to continue and which keys are active.
    /// A load generator decodes no more than it needs, so its own work distorts the server's
    /// figures as little as it can.
    private struct FollowedPage: Decodable {
        struct Trust: Decodable {
            struct Key: Decodable {
                let keyID: String
                let status: String
            }
            let issuerKeys: [Key]
        }
        let cursor: String
        let hasMore: Bool
        let stateDigest: String?
        let trust: Trust
    }

    private func pull(
        _ node: FleetBenchmarkSetup.Node, via http: HTTPClient, cursor: String, wait: Int?, digest: String?
    ) async throws -> FollowedPage {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let body = try SyncJSON.encoder.encode(PullRequest(
            protocolVersion: version.rawValue, cursor: cursor, limit: 1000,
            clock: SyncClockReading(hlc: HLCTimestamp(wallMilliseconds: now), wallMilliseconds: now), outboxDepth: 0,
            waitSeconds: wait, stateDigest: digest))
        var request = HTTPClientRequest(url: serverURL + "/api/v1/sync/pull")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(node.token)")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await http.execute(request, timeout: .seconds(Int64(wait ?? 0) + 60))
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        guard response.status == .ok else { throw CLIError.failure("pull: HTTP \(response.status.code)") }
        return try SyncJSON.decoder.decode(FollowedPage.self, from: Data(bytes.readableBytesView))
    }
}
