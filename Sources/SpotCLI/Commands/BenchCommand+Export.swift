import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SpotServer
import SpotTooling

extension BenchCommand {
    struct ExportBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "A CSV export streamed by the server: its memory while it sends each --rows count of check-ins, beside PostgreSQL's own COPY of the same rows.",
            discussion: """
                Starts `spot server` as a process of its own on the database, gives the benchmark event each \
                --rows count of online check-ins in turn (smallest first), and downloads \
                GET /api/v1/events/{id}/exports/check-ins as its organizer from this process, reading the \
                body as it arrives. While it downloads, the server process's resident memory is read every \
                10 ms: the table shows it before the first export and at its peak during each, beside the \
                size of the file (what a server that built the file in memory would hold at least). Every \
                download must hold the header and exactly that many rows. PostgreSQL's own \
                `COPY … TO STDOUT (FORMAT csv)` of the same scans, through psql, is timed beside it.

                Example (use a release build):
                  swift run -c release spot bench export --database-url postgres://postgres@/postgres?host=/tmp/pg
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Check-in counts exported, comma-separated.")
        var rows = "10000,100000"

        var counts: [Int] {
            rows.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.sorted()
        }

        func validate() throws {
            guard !counts.isEmpty, counts.allSatisfy({ (1...5_000_000).contains($0) }) else {
                throw ValidationError("--rows must list counts of 1 to 5000000")
            }
        }

        func run() async throws {
            #if DEBUG
                note("warning: this is a debug build; measure with `swift run -c release spot bench export`")
            #endif
            let psql = try PostgresClientTool.locate("psql")
            let logger = makeLogger(level: .warning)
            try await database.withDatabase(logger: logger) { configuration in
                try await ServerMaintenance.withDatabase(configuration, logger: logger) { database in
                    let venue = try await SyncBenchmarkVenue.prepare(tickets: 10, database: database, logger: logger)
                    try await venue.settle(database: database, logger: logger)
                    let password = UUID().uuidString
                    let email = try await venue.setOrganizerPassword(password, database: database, logger: logger)
                    let server = try ServerChild.start(databaseURL: configuration.url)
                    defer { server.stop() }
                    try await waitUntilHealthy(port: server.port)
                    let token = try await server.signIn(email: email, password: password)
                    let idle = try server.rss()
                    var results: [Result] = []
                    var seeded = 0
                    for count in counts {
                        note("adding \(count - seeded) check-ins …")
                        try await venue.addCheckIns(count - seeded, database: database, logger: logger)
                        seeded = count
                        note("exporting \(count) check-ins …")
                        let download = try await Self.download(
                            "/api/v1/events/\(venue.eventID.lowercasedText)/exports/check-ins", token: token, from: server)
                        guard download.lines == count + 1 else {
                            throw CLIError.failure("the export of \(count) check-ins held \(download.lines) lines")
                        }
                        let copy = try psql.seconds([
                            configuration.url, "-q", "-o", "/dev/null", "-c",
                            "COPY (SELECT * FROM scans WHERE event_id = '\(venue.eventID.lowercasedText)' ORDER BY scanned_at, id) "
                                + "TO STDOUT (FORMAT csv, HEADER)",
                        ])
                        results.append(Result(rows: count, download: download, copySeconds: copy))
                    }
                    print("CPU: \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores; "
                        + "server: its own process; client: this process, a real socket on 127.0.0.1")
                    print("server RSS before the first export: \(idle / 1_048_576) MiB")
                    print("| check-ins | file | server RSS peak while sending | above idle | seconds | rows/s | psql COPY csv, same rows | share |")
                    print("|---|---|---|---|---|---|---|---|")
                    for result in results {
                        let seconds = SpotCLI.seconds(result.download.elapsed)
                        print(String(
                            format: "| %d | %.1f MiB | %d MiB | %+d MiB | %.2f s | %.0f | %.2f s | %.0f %% |",
                            result.rows, Double(result.download.bytes) / 1_048_576, result.download.peakRSS / 1_048_576,
                            (result.download.peakRSS - idle) / 1_048_576, seconds, Double(result.rows) / seconds,
                            result.copySeconds, result.copySeconds / seconds * 100))
                    }
                }
            }
        }

        private struct Result {
            let rows: Int
            let download: Download
            let copySeconds: Double
        }

        private struct Download {
            let bytes: Int
            let lines: Int
            let elapsed: Duration
            let peakRSS: Int
        }

        /// GETs `path`, reading the body as it comes, while sampling the server's memory.
        private static func download(_ path: String, token: String, from server: ServerChild) async throws -> Download {
            try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    var peak = 0
                    while !Task.isCancelled {
                        peak = max(peak, try server.rss())
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                    return max(peak, try server.rss())
                }
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)\(path)")
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                let started = ContinuousClock.now
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(3600))
                guard response.status == .ok else { throw CLIError.failure("the export answered HTTP \(response.status.code)") }
                var bytes = 0, lines = 0
                for try await buffer in response.body {
                    bytes += buffer.readableBytes
                    lines += buffer.readableBytesView.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                }
                let elapsed = ContinuousClock.now - started
                group.cancelAll()
                let peak = try await group.next() ?? 0
                return Download(bytes: bytes, lines: lines, elapsed: elapsed, peakRSS: peak)
            }
        }
    }
}
