import ArgumentParser
import Crypto
import Foundation
import SpotCore
import SpotServer
import SpotTooling
import SpotVectors

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks, each printed beside the physical limit measured in the same run.",
        subcommands: [VerifyBench.self, SearchBench.self, SyncBench.self, FleetBench.self, CommerceBench.self, ExportBench.self, MeshBench.self]
    )

    struct VerifyBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Offline verdicts per second on one core, beside raw Ed25519 verifications per second.",
            discussion: """
                Both loops run on one thread over the same distinct tickets; the verdict loop runs the full \
                verdict function (decode, key lookup, signature, event, revocations, scan history) against \
                a realistic node state. Rounds alternate raw and verdict runs; the best round of each counts.

                Example (use a release build):
                  swift run -c release spot bench verify
                """
        )

        @Option(help: "Seconds per measured round.")
        var seconds: Double = 2

        @Option(help: "Rounds of each loop.")
        var rounds: Int = 3

        @Option(help: "Distinct tickets cycled through.")
        var tickets: Int = 1000

        @Option(help: "Revocations and admitted scans of other tickets in the node state.")
        var history: Int = 20_000

        @Flag(help: "Print the result as one line of JSON.")
        var json = false

        func validate() throws {
            guard seconds > 0, rounds > 0, tickets > 0, history >= 0 else {
                throw ValidationError("--seconds, --rounds and --tickets must be positive; --history not negative")
            }
        }

        func run() throws {
            #if DEBUG
                note("warning: this is a debug build; measure with `swift run -c release spot bench verify`")
            #endif
            let fixture = VerifyBenchFixture(tickets: tickets, history: history)
            var raw: [Double] = []
            var verdicts: [Double] = []
            for round in 1...rounds {
                raw.append(try measure(seconds: seconds) { fixture.rawVerify($0) })
                verdicts.append(try measure(seconds: seconds) { fixture.verdict($0) })
                if !json {
                    note("round \(round)/\(rounds): raw \(Int(raw.last!)) /s, verdicts \(Int(verdicts.last!)) /s")
                }
            }
            let bestRaw = raw.max()!
            let bestVerdicts = verdicts.max()!
            let ratio = bestVerdicts / bestRaw
            if json {
                print(
                    #"{"raw_ed25519_verifies_per_second":\#(Int(bestRaw)),"verdicts_per_second":\#(Int(bestVerdicts)),"ratio":\#((ratio * 1000).rounded() / 1000),"cpu":"\#(cpuModel())"}"#
                )
            } else {
                print("CPU: \(cpuModel()), one thread")
                print("raw Ed25519 verify (swift-crypto):   \(format(bestRaw)) /s")
                print("offline verdicts (TicketVerifier):   \(format(bestVerdicts)) /s  = \(String(format: "%.1f", ratio * 100))% of raw")
            }
        }

        /// Runs `body` with an increasing index until `seconds` pass; returns calls per second.
        private func measure(seconds: Double, _ body: (Int) -> Bool) throws -> Double {
            let clock = ContinuousClock()
            let start = clock.now
            let limit = Duration.milliseconds(Int64(seconds * 1000))
            var calls = 0
            while true {
                for _ in 0..<256 {
                    guard body(calls) else { throw CLIError.failure("benchmark self-check failed at call \(calls)") }
                    calls += 1
                }
                let elapsed = clock.now - start
                if elapsed >= limit {
                    let (whole, attoseconds) = elapsed.components
                    return Double(calls) / (Double(whole) + Double(attoseconds) / 1e18)
                }
            }
        }

        private func format(_ rate: Double) -> String {
            let formatter = NumberFormatter()
            formatter.numberStyle = .decimal
            formatter.maximumFractionDigits = 0
            return formatter.string(from: NSNumber(value: rate.rounded())) ?? "\(Int(rate))"
        }
    }
}

extension BenchCommand {
    struct SearchBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "search",
            abstract: "Event search latency (p50/p95/p99) beside a primary-key lookup measured in the same run.",
            discussion: """
                Seeds sample events until at least --events are published (the first run takes a while), \
                then runs two-word queries with a filter through the server's search code, one at a time, \
                each followed by a primary-key lookup of a random event.

                Example (use a release build):
                  swift run -c release spot bench search --data-dir /var/tmp/spot-bench --events 100000
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Published events the database must hold.")
        var events = 100_000

        @Option(help: "Measured queries.")
        var queries = 2000

        func validate() throws {
            guard events > 0, queries > 0 else { throw ValidationError("--events and --queries must be positive") }
        }

        func run() async throws {
            #if DEBUG
                note("warning: this is a debug build; measure with `swift run -c release spot bench search`")
            #endif
            let logger = makeLogger(level: .warning)
            try await database.withDatabase(logger: logger) { configuration in
                let result = try await ServerMaintenance.withDatabase(configuration, logger: logger) { [events, queries] database in
                    let existing = try await DemoAccounts.publishedEvents(in: database, logger: logger)
                    if existing < events {
                        note("seeding \(events - existing) events …")
                        let bar = ProgressBar(label: "events")
                        _ = try await SampleData(events: events - existing, seed: 7).insert(into: database, now: Date(), logger: logger) {
                            bar.update($0, of: $1)
                        }
                        bar.finish()
                    }
                    return try await SearchBenchmark(queries: queries).run(database: database, logger: logger)
                }
                func ms(_ duration: Duration) -> String {
                    let (seconds, attoseconds) = duration.components
                    return String(format: "%.2f ms", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
                }
                say("CPU: \(cpuModel()); \(result.events) published events; \(queries) queries, one at a time")
                say("search (two words + a filter, \(String(format: "%.0f", result.averageMatches)) matches on average):")
                say("  p50 \(ms(result.search.percentile(0.50)))   p95 \(ms(result.search.percentile(0.95)))   p99 \(ms(result.search.percentile(0.99)))")
                say("primary-key lookup of one event (same run):")
                say("  p50 \(ms(result.lookup.percentile(0.50)))   p95 \(ms(result.lookup.percentile(0.95)))   p99 \(ms(result.lookup.percentile(0.99)))")
            }
        }
    }
}

/// A node state for the verify benchmark: one issuer key, distinct valid tickets for
/// one event, and unrelated revocations and admissions so lookups hit real tables.
struct VerifyBenchFixture {
    let texts: [String]
    let messages: [(signature: [UInt8], message: [UInt8])]
    let publicKey: Curve25519.Signing.PublicKey
    let verifier: TicketVerifier
    let revocations: RevocationList
    let scans: ScanLedger
    let now = Date(timeIntervalSince1970: 1_796_500_000)

    init(tickets: Int, history: Int) {
        var generator = SeededGenerator(seed: 2026)
        func uuid() -> UUID { UUID.version7(unixMilliseconds: 1_796_000_000_000, using: &generator) }
        let key = SigningKey()
        let event = uuid()
        let ticketType = uuid()
        let signed = (0..<tickets).map { _ in
            // Claims are valid by construction (version 1, no window).
            try! SignedTicket.sign(TicketClaims(ticketID: uuid(), eventID: event, ticketTypeID: ticketType), with: key)
        }
        texts = signed.map(\.text)
        messages = signed.map { ($0.signature, $0.signedMessage) }
        publicKey = key.publicKey
        // A single issuer key cannot collide with itself.
        verifier = TicketVerifier(
            trust: try! TrustStore(issuerKeys: [IssuerKey(publicKey: key.publicKey)]),
            gate: GatePolicy(gate: "bench", events: [EventAdmission(eventID: event)]))
        let node = uuid()
        revocations = RevocationList((0..<history).map { _ in Revocation(ticketID: uuid(), issueVersion: 1, reason: .refunded) })
        scans = ScanLedger(
            (0..<history).map { index in
                ScanRecord(
                    scanID: uuid(), ticketID: uuid(), issueVersion: 1, direction: .entry, gate: "bench", nodeID: node,
                    at: HLCTimestamp(wallMilliseconds: 1_796_000_000_000 + Int64(index)))
            })
    }

    func rawVerify(_ index: Int) -> Bool {
        let (signature, message) = messages[index % messages.count]
        return publicKey.isValidSignature(signature, for: message)
    }

    func verdict(_ index: Int) -> Bool {
        verifier.verify(texts[index % texts.count], at: now, revocations: revocations, scans: scans).verdict == .ok
    }
}

/// The CPU model from /proc/cpuinfo.
func cpuModel() -> String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
        let name = line.split(separator: ":", maxSplits: 1).last
    else { return "unknown CPU" }
    return name.trimmingCharacters(in: .whitespaces)
}
