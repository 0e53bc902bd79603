import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SpotCore
import SpotServer
import SpotTooling

extension BenchCommand {
    struct CommerceBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "commerce",
            abstract: "The central server's online check-in and on-sale purchases, each beside pgbench's TPC-B on the same database, in one run.",
            discussion: """
                Starts `spot server` as a process of its own on the database, then measures two paths from \
                keep-alive connections of this process:

                1. Online check-in: signs in as the organizer of a benchmark venue and checks --check-ins \
                tickets in through POST /api/v1/check-ins, each once, from --clients connections. Every one \
                must be admitted, and the database must then hold exactly that many admissions.
                2. An on-sale rush: --buyers accounts, one connection each, buy one ticket at a time (a hold, \
                then a checkout that charges the simulation's card, issues the ticket and queues the \
                confirmation) from a fresh ticket type of --seats seats until it is sold out. The database \
                must then hold exactly --seats tickets, as many paid bookings and confirmations, and no \
                unsold seat (0 oversold, 0 false sold-out); no buyer may be told "sold out" before a seat \
                another buyer then got.

                pgbench (PostgreSQL's own) runs its built-in TPC-B on the same database at each path's \
                client count (--pgbench-transactions in all, split across the clients), and the command \
                prints each rate as a share of pgbench's transactions per second. The goals of issue 17: \
                check-in at least 60 %, p99 at most 10 ms; purchases at least 50 %, p99 at most 250 ms. \
                pgbench's tables are dropped afterwards.

                Example (use a release build):
                  swift run -c release spot bench commerce --database-url postgres://postgres@/postgres?host=/tmp/pg
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Tickets checked in, each once.")
        var checkIns = 20_000

        @Option(help: "Concurrent connections (door scanners) checking in, and pgbench's client count beside them.")
        var clients = 8

        @Option(help: "Concurrent buyers in the on-sale rush (one connection each), and pgbench's client count beside them.")
        var buyers = 100

        @Option(help: "Seats of the on-sale ticket type the buyers sell out.")
        var seats = 5_000

        @Option(help: "Transactions of each pgbench run, in all (split across its clients).")
        var pgbenchTransactions = 20_000

        @Option(help: "pgbench's scale factor (100,000 accounts each).")
        var pgbenchScale = 10

        func validate() throws {
            guard (100...1_000_000).contains(checkIns) else { throw ValidationError("--check-ins must be 100 to 1000000") }
            guard (1...256).contains(clients) else { throw ValidationError("--clients must be 1 to 256") }
            guard (1...256).contains(buyers) else { throw ValidationError("--buyers must be 1 to 256") }
            guard (10...1_000_000).contains(seats) else { throw ValidationError("--seats must be 10 to 1000000") }
            guard (100...10_000_000).contains(pgbenchTransactions) else {
                throw ValidationError("--pgbench-transactions must be 100 to 10000000")
            }
            guard (1...1000).contains(pgbenchScale) else { throw ValidationError("--pgbench-scale must be 1 to 1000") }
        }

        func run() async throws {
            #if DEBUG
                note("warning: this is a debug build; measure with `swift run -c release spot bench commerce`")
            #endif
            let pgbench = try PostgresClientTool.locate("pgbench")
            let logger = makeLogger(level: .warning)
            try await database.withDatabase(logger: logger) { configuration in
                try await ServerMaintenance.withDatabase(configuration, logger: logger) { database in
                    note("preparing \(checkIns) tickets and \(buyers) buyers …")
                    let venue = try await SyncBenchmarkVenue.prepare(tickets: checkIns, database: database, logger: logger)
                    try await venue.settle(database: database, logger: logger)
                    let password = UUID().uuidString
                    let email = try await venue.setOrganizerPassword(password, database: database, logger: logger)
                    let rush = try await OnSaleRush.prepare(
                        seats: seats, buyers: buyers, password: password, database: database, logger: logger)
                    let ids = try await venue.ticketIDs(limit: checkIns, database: database, logger: logger)
                    let payloads = try ids.map {
                        try SignedTicket.sign(
                            TicketClaims(ticketID: $0, eventID: venue.eventID, ticketTypeID: venue.ticketTypeID), with: venue.issuer
                        ).text
                    }
                    let server = try ServerChild.start(databaseURL: configuration.url)
                    defer { server.stop() }
                    try await waitUntilHealthy(port: server.port)
                    let token = try await server.signIn(email: email, password: password)
                    let requests = payloads.map { payload in
                        let body = #"{"payload":"\#(payload)","gate":"Bench"}"#
                        return Array((
                            "POST /api/v1/check-ins HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                + "Authorization: Bearer \(token)\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
                    }
                    note("checking in \(checkIns) tickets from \(clients) connections …")
                    let started = ContinuousClock.now
                    let latencies = try await BenchLoadClient(port: server.port).run(clients: clients, requests: requests).sorted()
                    let checkIn = Figure(count: latencies.count, elapsed: ContinuousClock.now - started, latencies: latencies)
                    let admitted = try await venue.admittedOnline(database: database, logger: logger)
                    guard admitted == checkIns else {
                        throw CLIError.failure("the database holds \(admitted) online admissions for \(checkIns) tickets checked in once each")
                    }

                    var tokens: [String] = []
                    for buyer in rush.buyerEmails {
                        tokens.append(try await server.signIn(email: buyer, password: password))
                    }
                    note("on-sale rush: \(buyers) buyers, \(seats) seats, one ticket a purchase …")
                    let run = try await rush.run(port: server.port, tokens: tokens)
                    server.stop()
                    try await rush.verify(run, database: database, logger: logger)
                    let purchases = Figure(count: run.latencies.count, elapsed: run.elapsed, latencies: run.latencies.sorted())

                    let checkInTPS = try tpcB(pgbench, url: configuration.url, clients: clients)
                    let purchaseTPS = try tpcB(pgbench, url: configuration.url, clients: buyers)
                    print("CPU: \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores; "
                        + "server: its own process; clients: this process, real sockets on 127.0.0.1")
                    print("| path | clients | per second | p50 | p99 | max | pgbench TPC-B, same run | share | goal |")
                    print("|---|---|---|---|---|---|---|---|---|")
                    print(checkIn.row(
                        "online check-in, each ticket once (\(checkIns), all admitted)", clients: clients, tps: checkInTPS,
                        goal: "≥ 60 %, p99 ≤ 10 ms"))
                    print(purchases.row(
                        "purchase: hold + checkout + ticket + confirmation (\(seats) seats sold out: 0 oversold, 0 false sold-out)",
                        clients: buyers, tps: purchaseTPS, goal: "≥ 50 %, p99 ≤ 250 ms"))
                }
            }
        }

        private func tpcB(_ pgbench: PostgresClientTool, url: String, clients: Int) throws -> Double {
            let each = max(1, pgbenchTransactions / clients)
            note("pgbench: TPC-B, scale \(pgbenchScale), \(clients) clients × \(each) transactions …")
            return try pgbench.tpcB(url: url, clients: clients, transactions: each, scale: pgbenchScale)
        }

        /// One path's rate and latencies.
        private struct Figure {
            let count: Int
            let elapsed: Duration
            /// Sorted.
            let latencies: [Duration]

            func row(_ path: String, clients: Int, tps: Double, goal: String) -> String {
                func ms(_ q: Double) -> Double { seconds(latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))]) * 1000 }
                let rate = Double(count) / seconds(elapsed)
                return String(
                    format: "| %@ | %d | %.0f | %.1f ms | %.1f ms | %.1f ms | %.0f tps | %.1f %% | %@ |",
                    path, clients, rate, ms(0.5), ms(0.99), ms(1), tps, rate / tps * 100, goal)
            }
        }
    }
}
