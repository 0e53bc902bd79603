import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SpotCore
import SpotNode
import SpotServer
import SpotSync
import SpotTooling

extension BenchCommand {
    struct MeshBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mesh",
            abstract: "The venue mesh's propagation: an admission at one door known at the other node, with the server down.",
            discussion: """
                Runs a server (in this process, on 127.0.0.1) over the database, seeds a venue, enrolls two nodes and \
                bootstraps them, stops the server (the venue's uplink is down), then runs both nodes following each \
                other (peer protocol v1) and --scanners door scanners split between them, each scanning its own \
                tickets one after another. For every admission it times how long until the other node's replica \
                holds it (its SQLite file read every millisecond), beside the round trip of a plain HTTP request \
                to a node on the same loopback, measured in the same run.

                Example (use a release build):
                  swift run -c release spot bench mesh
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Door scanners, split evenly between the two nodes.")
        var scanners = 8

        @Option(help: "Admissions per scanner.")
        var scansPerScanner = 250

        func validate() throws {
            guard (2...64).contains(scanners), scanners % 2 == 0 else { throw ValidationError("--scanners must be an even 2 to 64") }
            guard (1...10_000).contains(scansPerScanner) else { throw ValidationError("--scans-per-scanner must be 1 to 10000") }
        }

        func run() async throws {
            #if DEBUG
                note("warning: this is a debug build; measure with `swift run -c release spot bench mesh`")
            #endif
            let logger = makeLogger(level: .warning)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spot-bench-mesh-\(getpid())")
            try? FileManager.default.removeItem(at: directory)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let total = scanners * scansPerScanner
            try await database.withDatabase(logger: logger) { configuration in
                let (venue, nodes, tickets) = try await ServerMaintenance.withDatabase(configuration, logger: logger) { database in
                    note("preparing a venue with \(total) tickets and two nodes …")
                    let venue = try await SyncBenchmarkVenue.prepare(tickets: total, database: database, logger: logger)
                    let port = try freeLocalPort()
                    var serverConfiguration = ServerConfiguration(
                        host: "127.0.0.1", port: port, database: configuration, runsBackgroundServices: false)
                    serverConfiguration.logLevel = .warning
                    let server = try await buildApplication(serverConfiguration, logger: logger)
                    let nodes = try await whileRunning(server, logger: logger) {
                        try await waitUntilHealthy(port: port)
                        let client = SyncClient(serverURL: "http://127.0.0.1:\(port)")
                        var nodes: [NodeDatabase] = []
                        for name in ["a", "b"] {
                            let (node, _) = try await SyncBench.enroll(
                                client, venue: venue, database: database,
                                path: directory.appendingPathComponent("node-\(name).sqlite").path, logger: logger)
                            nodes.append(node)
                        }
                        // A node is certified at its first sync: each syncs again to hold the other's certificate.
                        for node in nodes + nodes { _ = try await SyncEngine(database: node, client: client).sync() }
                        return nodes
                    }
                    let tickets = try await venue.ticketIDs(limit: total, database: database, logger: logger)
                    return (venue, nodes, tickets)
                }
                try await measure(venue: venue, nodes: nodes, tickets: tickets, logger: logger)
            }
        }

        private func measure(venue: SyncBenchmarkVenue, nodes: [NodeDatabase], tickets: [UUID], logger: Logger) async throws {
            note("the server is stopped: the nodes see each other only")
            let payloads = try tickets.map {
                try SignedTicket.sign(
                    TicketClaims(ticketID: $0, eventID: venue.eventID, ticketTypeID: venue.ticketTypeID), with: venue.issuer
                ).text
            }
            let ports = [try freeLocalPort(), try freeLocalPort()]
            let apps = try (0..<2).map { index in
                try buildNodeApplication(
                    database: nodes[index],
                    configuration: NodeConfiguration(
                        host: "127.0.0.1", port: ports[index], syncInterval: .seconds(3600),
                        peers: ["http://127.0.0.1:\(ports[1 - index])"]),
                    logger: logger)
            }
            var http = HTTPClient.Configuration()
            http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = scanners
            let httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
            let (latencies, roundTrips, elapsed) = try await whileRunning(apps[0], logger: logger) {
                try await whileRunning(apps[1], logger: logger) {
                    try await waitUntilHealthy(port: ports[0])
                    try await waitUntilHealthy(port: ports[1])
                    let tokens = [
                        try await SyncBench.signIn(port: ports[0], node: nodes[0], client: httpClient),
                        try await SyncBench.signIn(port: ports[1], node: nodes[1], client: httpClient),
                    ]
                    try await waitUntilFollowing(nodes)
                    let roundTrips = try await healthRoundTrips(port: ports[1], client: httpClient, count: 2_000)
                    let start = ContinuousClock.now
                    let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
                        for scanner in 0..<scanners {
                            let here = scanner % 2, there = 1 - here
                            let mine = Array(scanner * scansPerScanner..<(scanner + 1) * scansPerScanner)
                            group.addTask {
                                var times: [Duration] = []
                                for index in mine {
                                    try await scan(payloads[index], port: ports[here], token: tokens[here], client: httpClient)
                                    let admitted = ContinuousClock.now
                                    while try nodes[there].scans(ofTicket: tickets[index], limit: 1).isEmpty {
                                        guard ContinuousClock.now - admitted < .seconds(30) else {
                                            throw CLIError.failure("an admission never reached the other node")
                                        }
                                        try await Task.sleep(for: .milliseconds(1))
                                    }
                                    times.append(ContinuousClock.now - admitted)
                                }
                                return times
                            }
                        }
                        return try await group.reduce(into: []) { $0 += $1 }
                    }
                    return (latencies, roundTrips, seconds(ContinuousClock.now - start))
                }
            }
            try await httpClient.shutdown()
            say("CPU: \(cpuModel()); \(ProcessInfo.processInfo.activeProcessorCount) cores")
            say("venue mesh, server down: \(scanners) scanners on 2 nodes, \(latencies.count) admissions in \(String(format: "%.1f", elapsed)) s")
            say("  an admission known at the other node: \(Self.percentiles(latencies))")
            say("  HTTP round trip to a node on the same loopback, same run: \(Self.percentiles(roundTrips))")
        }

        static func percentiles(_ values: [Duration]) -> String {
            let sorted = values.sorted()
            func ms(_ q: Double) -> String {
                String(format: "%.2f ms", seconds(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) * 1000)
            }
            return "p50 \(ms(0.5)), p90 \(ms(0.9)), p99 \(ms(0.99)), max \(ms(1))"
        }

        /// Waits until each node has had an answer from the other.
        private func waitUntilFollowing(_ nodes: [NodeDatabase]) async throws {
            let start = ContinuousClock.now
            while try nodes.contains(where: { try $0.status().peers.isEmpty }) {
                guard ContinuousClock.now - start < .seconds(30) else { throw CLIError.failure("the nodes never followed each other") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        private func scan(_ payload: String, port: Int, token: String, client: HTTPClient) async throws {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/scans")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.body = .bytes(ByteBuffer(string: #"{"payload":"\#(payload)","gate":"Bench"}"#))
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 16)
            guard response.status == .ok, String(buffer: body).contains(#""verdict":"ok""#) else {
                throw CLIError.failure("a benchmark scan was not admitted (HTTP \(response.status.code)): \(String(buffer: body))")
            }
        }

        /// Round trips of `GET /health`, `scanners` at a time: the floor under any propagation.
        private func healthRoundTrips(port: Int, client: HTTPClient, count: Int) async throws -> [Duration] {
            try await withThrowingTaskGroup(of: [Duration].self) { group in
                for _ in 0..<scanners {
                    group.addTask {
                        var times: [Duration] = []
                        for _ in 0..<(count / scanners) {
                            let start = ContinuousClock.now
                            let response = try await client.execute(
                                HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 1024)
                            times.append(ContinuousClock.now - start)
                        }
                        return times
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
    }
}
