import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotNode
import SpotTestSupport
import Testing

/// The kiosk web app in a real headless Chromium (driven by Tests/Browser/kiosk.py through
/// WebDriver) against a real server and node: sign in, door mode, a door sale whose QR code is
/// decoded from a screenshot with zbarimg, the server going away and coming back, and the
/// sign-out after inactivity. Screenshots are kept in test-artifacts/kiosk.
@Suite("Kiosk in a real browser")
struct KioskBrowserTests {
    static let idleTimeout = 12

    func browser(_ phase: String, _ arguments: [String], url: String, screenshots: URL) async throws -> ProcessResult {
        try await runProcess(
            ProcessInfo.processInfo.environment["SPOT_TEST_PYTHON"] ?? "python3",
            [repositoryRoot.appendingPathComponent("Tests/Browser/kiosk.py").path, phase]
                + attachedOptions(["--url", url, "--pin", VenueNodeTests.staffPIN, "--screenshots", screenshots.path] + arguments))
    }

    /// A camera's view of `payload`: 1.5 s with the code in the middle, then 3.5 s of nothing
    /// (Chromium's fake camera plays it in a loop, so the code leaves the view and comes back).
    static func cameraVideo(_ payload: String, to file: URL) throws {
        let code = try GreyFrame.qr(payload, width: 320, height: 240, moduleSize: 3)
        let blank = GreyFrame.blank(width: 320, height: 240)
        try GreyFrame.y4m(Array(repeating: code, count: 15) + Array(repeating: blank, count: 35), framesPerSecond: 10)
            .write(to: file)
    }

    @Test("A phone at 360 px over the node's HTTPS, the venue CA trusted: its camera admits a ticket green, amber when shown again, a forged code red; sounds; a sale listed after a reload; a ticket's scans found; nothing scrolls sideways")
    func phone() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-kiosk-phone")
            defer { try? FileManager.default.removeItem(at: directory) }
            let scene = try await DoorScene.make(database: database, directory: directory, tickets: 1)
            let (server, venue, data) = (scene.server, scene.venue, scene.data)
            let tls = try await runProcess(try spotBinary(), ["node", "tls", "--data", data, "--name", "localhost"])
            #expect(tls.status == 0, "\(tls.stderr)")
            let httpsPort = try freePort()
            let (node, nodePort) = try await scene.runNode(
                ["--https-port", String(httpsPort), "--sync-interval", "0.5",
                 "--kiosk", repositoryRoot.appendingPathComponent("Kiosk").path])
            var forged = try SignedTicket(text: venue.tickets[0].payload).bytes
            forged[forged.count - 1] ^= 0xFF
            let valid = directory.appendingPathComponent("valid.y4m")
            let forgery = directory.appendingPathComponent("forged.y4m")
            try Self.cameraVideo(venue.tickets[0].payload, to: valid)
            try Self.cameraVideo(Base45.encode(forged), to: forgery)
            let screenshots = try artifactDirectory("kiosk-phone")
            let phone = try await browser(
                "phone",
                ["--valid", venue.tickets[0].payload, "--valid-id", venue.tickets[0].id, "--valid-video", valid.path,
                 "--forged-video", forgery.path, "--ca", data + "/tls/venue-ca.pem",
                 "--plain-url", "http://localhost:\(nodePort)/kiosk/"],
                url: "https://localhost:\(httpsPort)/kiosk/", screenshots: screenshots)
            #expect(phone.status == 0, "\(phone.stdout)\n\(phone.stderr)\n\(node.log)")
            #expect(phone.stdout.contains("all kiosk phone checks passed"))
            for line in phone.stdout.split(separator: "\n") where line.hasPrefix("kiosk camera") { print(line) }
            // What the camera saw went through the node: one admission, one duplicate, one forgery, one sale.
            let nodeDatabase = try NodeDatabase.open(path: data + "/node.sqlite")
            #expect(try nodeDatabase.admittedTickets().count == 1)
            #expect(try nodeDatabase.status().scans == 3)
            #expect(try nodeDatabase.status().doorSales == 1)
            for name in [
                "phone-start.png", "phone-camera.png", "phone-camera-green.png", "phone-camera-red.png", "phone-sales-list.png",
                "phone-sales.png",
            ] {
                #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent(name).path), "\(name)")
            }
            for process in [node, server] { #expect(try await process.stop() == 0) }
        }
    }

    @Test("Sign in; green, amber, red; sell two and scan one decoded from a screenshot; a hung server offline within 5 s; drain; idle sign-out")
    func kiosk() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-kiosk")
            defer { try? FileManager.default.removeItem(at: directory) }
            let port = try freePort()
            let serverArguments = [
                "server", "--port", String(port), "--database-url", ServerProcessTests.url(database), "--password-cost", "4",
            ]
            var server = try await ServerProcess.launch(serverArguments, port: port)
            let venue = try await VenueNodeTests.venue(server.api, database: database, tickets: 2)
            let data = directory.appendingPathComponent("node").path
            _ = try await VenueNodeTests.enroll(
                server.api, serverURL: "http://127.0.0.1:\(port)", venue: venue, name: "Door", directory: data, seats: 5)
            try await VenueNodeTests.sync(data)
            let nodePort = try freePort()
            let node = try await ServerProcess.launch(
                ["node", "run", "--data", data, "--port", String(nodePort), "--sync-interval", "0.5",
                 "--staff-idle-timeout", String(Self.idleTimeout), "--kiosk", repositoryRoot.appendingPathComponent("Kiosk").path],
                port: nodePort)
            let url = "http://127.0.0.1:\(nodePort)/kiosk/"
            let screenshots = try artifactDirectory("kiosk")

            var forged = try SignedTicket(text: venue.tickets[0].payload).bytes
            forged[forged.count - 1] ^= 0xFF
            let online = try await browser(
                "online", ["--valid", venue.tickets[0].payload, "--forged", Base45.encode(forged)], url: url,
                screenshots: screenshots)
            #expect(online.status == 0, "\(online.stdout)\n\(online.stderr)\n\(node.log)")
            #expect(online.stdout.contains("all kiosk online checks passed"))
            // The browser's scans and sale went through the node: two tickets admitted, one sale of two.
            let nodeDatabase = try NodeDatabase.open(path: data + "/node.sqlite")
            #expect(try nodeDatabase.admittedTickets().count == 2)
            #expect(try nodeDatabase.status().doorSales == 1)

            // The browser hangs the server (SIGSTOP) once the kiosk shows online, and times the status bar.
            let offline = try await browser(
                "offline", ["--valid", venue.tickets[1].payload, "--freeze-pid", String(server.pid)], url: url,
                screenshots: screenshots)
            #expect(offline.status == 0, "\(offline.stdout)\n\(offline.stderr)\n\(node.log)")
            #expect(try nodeDatabase.status().outboxDepth >= 2)
            server.thaw()
            // The server is stopped and started again: a refused connection, then a new process.
            #expect(try await server.stop() == 0)
            server = try await ServerProcess.launch(serverArguments, port: port)
            let reconnect = try await browser(
                "reconnect", ["--idle", String(Self.idleTimeout)], url: url, screenshots: screenshots)
            #expect(reconnect.status == 0, "\(reconnect.stdout)\n\(reconnect.stderr)\n\(node.log)")
            // Everything the kiosk did is on the server exactly once.
            try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
                let rows = try await client.query(
                    "SELECT (SELECT count(*)::int FROM scans), (SELECT count(*)::int FROM door_sales), (SELECT count(*)::int FROM door_tickets)",
                    logger: Logger(label: "e2e"))
                for try await (scans, sales, tickets) in rows.decode((Int, Int, Int).self) {
                    #expect(scans == 5, "three admissions, a duplicate and a forgery")
                    #expect(sales == 2)
                    #expect(tickets == 3)
                }
            }
            for name in ["door-green.png", "door-red.png", "sale-form.png", "sale-qr.png", "offline.png"] {
                #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent(name).path), "\(name)")
            }
            for process in [node, server] { #expect(try await process.stop() == 0) }
        }
    }
}
