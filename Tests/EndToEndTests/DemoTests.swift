import Foundation
import SpotTestSupport
import Testing

/// The README's first Quick start command runs `spot demo`.
@Suite("spot demo end to end", .serialized)
struct DemoTests {
    @Test("The demo serves seeded sample data on an embedded PostgreSQL, stops on Ctrl-C, and reuses its data")
    func demo() async throws {
        let directory = try makeTemporaryDirectory("spot-demo")
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try freePort()
        let arguments = ["demo", "--dir", directory.path, "--port", String(port), "--events", "300"]

        let first = try await ServerProcess.launch(arguments, port: port)
        #expect(first.log.contains("Seeded 300 published events"))
        #expect(first.log.contains("http://127.0.0.1:\(port)/openapi.json"))
        let search = try await first.api.get("/api/v1/events?per_page=1")
        #expect(search.json["total"].int == 300)
        let login = try await first.api.post(
            "/api/v1/auth/login", ["email": "organizer@demo.hvflvspot.test", "password": "demo password 2026"])
        #expect(login.status == 200)
        #expect(try await first.stop(signal: SIGINT) == 0)
        #expect(first.log.contains("Stopped."))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("server/postgres/postmaster.pid").path))

        let second = try await ServerProcess.launch(arguments, port: port)
        #expect(second.log.contains("Reusing 300 published events"))
        #expect(second.log.contains("Reusing signing key"))
        #expect(try await second.stop(signal: SIGINT) == 0)
    }
}
