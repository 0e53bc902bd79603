import Foundation
import SpotTestSupport
import Testing

/// Schemathesis (PyPI) against the real `spot server` process, from its own `/openapi.json`,
/// with every check enabled — signed out, and with an organizer's token: no server error, no
/// answer outside the document, every answer matching its schema, data the document admits
/// accepted and data it refuses refused. Bounded and seeded, so a failure reproduces
/// (`Tests/Tools/schemathesis.toml` lists the few rules JSON Schema cannot state).
@Suite("Schemathesis against the live server")
struct SchemathesisTests {
    static let seed = "7"
    static let examplesPerOperation = "25"

    func schemathesis(_ server: ServerProcess, _ extra: [String]) async throws -> ProcessResult {
        let python = try #require(
            ProcessInfo.processInfo.environment["SPOT_TEST_PYTHON"],
            "SPOT_TEST_PYTHON is not set: run the tests with ./scripts/test, which installs schemathesis")
        let reports = try makeTemporaryDirectory("spot-schemathesis")
        defer { try? FileManager.default.removeItem(at: reports) }
        return try await runProcess(
            python,
            ["-m", "schemathesis.cli", "--no-color",
             "--config-file", repositoryRoot.appendingPathComponent("Tests/Tools/schemathesis.toml").path,
             "run", "http://127.0.0.1:\(server.port)/openapi.json",
             "--checks", "all", "--phases", "examples,fuzzing", "--max-examples", Self.examplesPerOperation, "--seed", Self.seed,
             "--no-shrink", "--generation-allow-x00", "false", "--workers", "2", "--report-dir", reports.path]
                + extra,
            environment: ProcessInfo.processInfo.environment.merging(["PYTHONDONTWRITEBYTECODE": "1"]) { $1 })
    }

    /// A CPython 3.11 bug in its AST validator (fixed in later 3.11 releases), which hypothesis hits at random.
    static let interpreterCrash = "SystemError: AST constructor recursion depth mismatch"

    @Test("Every operation, signed out and as an organizer, every check: 0 server errors, 0 schema violations, 0 failures")
    func everyCheck() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let server = try await ServerProcess.start([
                "--database-url", ServerProcessTests.url(database), "--password-cost", "4", "--auth-attempts-per-minute", "1000000",
            ])
            let registered = try await server.api.post(
                "/api/v1/auth/register",
                ["email": "org@example.com", "password": "correct horse battery", "display_name": "Org", "role": "organizer"])
            let token = try #require(registered.json["access_token"].string, "\(registered.text)")
            for (who, extra) in [
                ("signed out", [String]()),
                // Signing out would end the session the rest of the run uses.
                ("organizer", ["-H", "Authorization: Bearer \(token)", "--exclude-operation-id", "logout"]),
            ] {
                var run = try await schemathesis(server, extra)
                if run.status != 0, (run.stdout + run.stderr).contains(Self.interpreterCrash) {
                    // Python 3.11.2 (Debian 12) can crash inside hypothesis's own reprs; that is no
                    // finding about the server. Run again once: the same seed covers the same inputs.
                    print("schemathesis (\(who)): the Python interpreter crashed (\(Self.interpreterCrash)); running again")
                    run = try await schemathesis(server, extra)
                }
                let summary = run.stdout.components(separatedBy: "SUMMARY").last ?? run.stdout
                #expect(run.status == 0, "schemathesis (\(who)) found problems:\n\(run.stdout.suffix(8000))\n\(run.stderr.suffix(2000))")
                #expect(!summary.contains("Server error") && !summary.contains("Response violates schema"), "\(who)")
                #expect(run.stdout.contains("generated"), "\(who): \(run.stdout.suffix(2000))")
                try #require(server.isRunning, "the server died during the \(who) run:\n\(server.log.suffix(3000))")
            }
            #expect(try await server.api.get("/health").status == 200)
            #expect(try await server.stop() == 0)
        }
    }
}
