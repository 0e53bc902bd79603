import Foundation
import SpotTestSupport
import Testing

/// The README's first Quick start command runs `spot demo`.
@Suite("spot demo end to end", .serialized)
struct DemoTests {
    @Test("The demo runs server, venue node and kiosk on seeded data; a sample ticket scans, a door sale works; Ctrl-C stops it; a second run reuses it all")
    func demo() async throws {
        let directory = try makeTemporaryDirectory("spot-demo")
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try freePort()
        let nodePort = try freePort()
        let arguments = [
            "demo", "--dir", directory.path, "--port", String(port), "--node-port", String(nodePort), "--events", "300",
            "--sold-tickets", "12",
        ]
        let node = APIClient(port: nodePort)
        let samples = directory.appendingPathComponent("kiosk-tickets")
        func sample(_ name: String) throws -> String {
            try String(contentsOf: samples.appendingPathComponent(name + ".txt"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func staff(_ demo: ServerProcess) async throws -> APIClient {
            try await waitForHealth(node, of: demo)
            let session = try await node.post("/api/v1/session", ["pin": "1234"])
            #expect(session.status == 201, "\(session.text)")
            return node.authorized(try #require(session.json["token"].string))
        }

        let first = try await ServerProcess.launch(arguments, port: port)
        let staffed = try await staff(first)
        #expect(first.log.contains("Seeded 300 published events"))
        for url in ["http://127.0.0.1:\(port)/openapi.json", "http://127.0.0.1:\(nodePort)/kiosk/#door",
                    "http://127.0.0.1:\(nodePort)/kiosk/#sale", "staff PIN:  1234"] {
            #expect(first.log.contains(url), "\(url)")
        }
        let search = try await first.api.get("/api/v1/events?per_page=1")
        #expect(search.json["total"].int == 301, "300 sample events and the door-demo event")
        // The kiosk is served, and the sample tickets work at its node: decoded from the PNG by a real decoder.
        #expect(try await node.get("/kiosk/").text.contains("Staff sign-in"))
        let decoded = try await runProcess("zbarimg", ["--raw", "-q", samples.appendingPathComponent("ticket-1.png").path])
        #expect(decoded.stdout.trimmingCharacters(in: .newlines) == (try sample("ticket-1")))
        let admitted = try await staffed.post("/api/v1/scans", ["payload": decoded.stdout.trimmingCharacters(in: .newlines), "gate": "Main"])
        #expect(admitted.json["verdict"].string == "ok", "\(admitted.text)")
        #expect(try await staffed.post("/api/v1/scans", ["payload": try sample("refunded"), "gate": "Main"]).json["verdict"].string == "revoked")
        let catalogue = try await staffed.get("/api/v1/catalogue").json["events"].array
        let types = try #require(catalogue.first?["ticket_types"].array)
        func remaining(_ types: [JSON]) -> [String: Int] {
            Dictionary(uniqueKeysWithValues: types.map { ($0["name"].string ?? "?", $0["remaining"].int ?? -1) })
        }
        #expect(remaining(types) == ["Standard": 50, "Reduced": 20])
        let reduced = try #require(types.first { $0["name"].string == "Reduced" }?["id"].string)
        let sale = try await staffed.post("/api/v1/sales", ["ticket_type_id": reduced, "quantity": 2, "payment_method": "cash"])
        #expect(sale.status == 201, "\(sale.text)")
        #expect(try await first.stop(signal: SIGINT) == 0)
        #expect(first.log.contains("Stopped."))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("server/postgres/postmaster.pid").path))

        let second = try await ServerProcess.launch(arguments, port: port)
        let again = try await staff(second)
        #expect(second.log.contains("Reusing 301 published events, the demo accounts and the venue node"))
        #expect(second.log.contains("Reusing signing key"))
        let duplicate = try await again.post("/api/v1/scans", ["payload": try sample("ticket-1"), "gate": "Main"])
        #expect(duplicate.json["verdict"].string == "already_admitted", "the node's data survives: \(duplicate.text)")
        let after = try await again.get("/api/v1/catalogue").json["events"].array.first?["ticket_types"].array ?? []
        #expect(remaining(after) == ["Standard": 50, "Reduced": 18])
        #expect(try await second.stop(signal: SIGINT) == 0)
    }

    /// Waits until the demo's node answers (it starts once the venue is set up), failing at
    /// once if the demo process ends instead.
    func waitForHealth(_ node: APIClient, of demo: ServerProcess) async throws {
        for _ in 0..<600 {
            guard demo.isRunning else {
                Issue.record("the demo ended before its node started:\n\(demo.log)")
                return
            }
            if let health = try? await node.get("/health"), health.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the demo's node did not start within 60 s:\n\(demo.log)")
    }
}
