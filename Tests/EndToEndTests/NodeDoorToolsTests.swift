import Foundation
import Logging
import SpotCore
import SpotTestSupport
import Testing

/// The node's routes for door staff on phones, on the real `spot node run`: recent door sales
/// with their QR codes, a ticket's scans, and camera frames decoded with libzbar.
@Suite("Door tools on the node: sales history, a ticket's scans, camera frames")
struct NodeDoorToolsTests {
    @Test("spot node tls, then spot node run: the kiosk and API over HTTPS trusted through the venue CA (curl, openssl), plain HTTP redirected, the trust page and the CA served; a second node shares the CA")
    func https() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-node-https")
            defer { try? FileManager.default.removeItem(at: directory) }
            let port = try freePort()
            let server = try await ServerProcess.launch(DoorScene.serverArguments(database: database, port: port), port: port)
            let venue = try await VenueNodeTests.venue(server.api, database: database, tickets: 1)
            var data: [String] = []
            for name in ["Door A", "Door B"] {
                let path = directory.appendingPathComponent(name.replacingOccurrences(of: " ", with: "-")).path
                _ = try await VenueNodeTests.enroll(
                    server.api, serverURL: "http://127.0.0.1:\(port)", venue: venue, name: name, directory: path, seats: 2)
                data.append(path)
            }
            let spot = try spotBinary()
            let made = try await runProcess(spot, ["node", "tls", "--data", data[0], "--name", "localhost", "--address", "127.0.0.1"])
            #expect(made.status == 0, "\(made.stderr)")
            #expect(made.stdout.contains("names        localhost") && made.stdout.contains("addresses    127.0.0.1"), "\(made.stdout)")
            let tlsA = data[0] + "/tls"
            let fingerprint = try #require(made.stdout.split(separator: "\n").first { $0.contains("SHA-256") }?
                .split(separator: " ").last.map(String.init))
            // openssl, independently: the node certificate chains to the venue CA and is for these names.
            let verified = try await runProcess(
                "openssl", ["verify", "-CAfile", tlsA + "/venue-ca.pem", "-verify_hostname", "localhost", "-verify_ip", "127.0.0.1",
                            tlsA + "/node.pem"])
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
            let wrongName = try await runProcess(
                "openssl", ["verify", "-CAfile", tlsA + "/venue-ca.pem", "-verify_hostname", "example.com", tlsA + "/node.pem"])
            #expect(wrongName.status != 0, "a name the certificate is not for fails")
            // A second node of the venue, given the first one's CA.
            let shared = try await runProcess(spot, [
                "node", "tls", "--data", data[1], "--name", "door-b.local",
                "--ca-certificate", tlsA + "/venue-ca.pem", "--ca-key", tlsA + "/venue-ca.key"])
            #expect(shared.status == 0 && shared.stdout.contains(fingerprint), "\(shared.stdout)\(shared.stderr)")
            let sharedVerified = try await runProcess(
                "openssl", ["verify", "-CAfile", tlsA + "/venue-ca.pem", data[1] + "/tls/node.pem"])
            #expect(sharedVerified.status == 0, "\(sharedVerified.stderr)")
            // Usage errors.
            for arguments in [["--address", "not-an-ip"], ["--name", "bad name"], ["--ca-key", tlsA + "/venue-ca.key"]] {
                let refused = try await runProcess(spot, ["node", "tls", "--data", data[0]] + arguments)
                #expect(refused.status == 2, "\(arguments): \(refused.stderr)")
            }

            let httpPort = try freePort(), httpsPort = try freePort()
            let node = try await ServerProcess.launch(
                ["node", "run", "--data", data[0], "--port", String(httpPort), "--https-port", String(httpsPort),
                 "--kiosk", repositoryRoot.appendingPathComponent("Kiosk").path],
                port: httpPort)
            func curl(_ arguments: [String]) async throws -> ProcessResult {
                try await runProcess("curl", ["-sS", "--max-time", "10"] + arguments)
            }
            for host in ["localhost", "127.0.0.1"] {
                let status = try await curl(["--cacert", tlsA + "/venue-ca.pem", "https://\(host):\(httpsPort)/api/v1/status"])
                #expect(status.status == 0 && status.stdout.contains("\"venue_name\""), "\(host): \(status.stderr)")
            }
            let untrusted = try await curl(["https://localhost:\(httpsPort)/api/v1/status"])
            #expect(untrusted.status == 60, "without the venue CA the certificate is not trusted (\(untrusted.status))")
            let kiosk = try await curl(["--cacert", tlsA + "/venue-ca.pem", "https://localhost:\(httpsPort)/kiosk/"])
            #expect(kiosk.stdout.contains("HVFLVSPOT kiosk"))
            let info = try await curl(["--cacert", tlsA + "/venue-ca.pem", "https://localhost:\(httpsPort)/api/v1/tls"])
            #expect(info.stdout.contains("\"https\":true") && info.stdout.contains(fingerprint), "\(info.stdout)")
            // Plain HTTP: redirected to HTTPS, method, path and query kept; only the trust page and the CA stay.
            let redirect = try await curl(["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "http://localhost:\(httpPort)/kiosk/?x=1"])
            #expect(redirect.stdout == "307 https://localhost:\(httpsPort)/kiosk/?x=1", "\(redirect.stdout)")
            let posted = try await curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "http://localhost:\(httpPort)/api/v1/scans"])
            #expect(posted.stdout == "307")
            let trust = try await curl(["http://localhost:\(httpPort)/trust"])
            #expect(trust.stdout.contains(fingerprint) && trust.stdout.contains("https://localhost:\(httpsPort)/kiosk/"))
            #expect(trust.stdout.contains("Android") && trust.stdout.contains("iPhone"))
            let hostile = try await curl(["-H", "Host: <script>:1", "http://127.0.0.1:\(httpPort)/trust"])
            #expect(!hostile.stdout.contains("<script>"), "a hostile Host header never reaches the page")
            let der = directory.appendingPathComponent("ca.der").path
            #expect(try await curl(["-o", der, "http://localhost:\(httpPort)/venue-ca.crt"]).status == 0)
            let parsed = try await runProcess("openssl", ["x509", "-inform", "der", "-in", der, "-noout", "-fingerprint", "-sha256"])
            #expect(parsed.stdout.contains(fingerprint), "the downloaded CA is the venue CA: \(parsed.stdout)")
            let qr = directory.appendingPathComponent("trust.svg").path
            #expect(try await curl(["--cacert", tlsA + "/venue-ca.pem", "-o", qr, "https://localhost:\(httpsPort)/trust/qr.svg"]).status == 0)
            let png = directory.appendingPathComponent("trust.png").path
            #expect(try await runProcess("rsvg-convert", ["-o", png, qr]).status == 0)
            let decoded = try await runProcess("zbarimg", ["--raw", "-q", png])
            #expect(decoded.stdout == "http://localhost:\(httpPort)/trust\n", "the start page's QR code opens the trust page")
            for process in [node, server] { #expect(try await process.stop() == 0) }
        }
    }

    @Test("Door sales listed newest first with their tickets; a ticket's scans by id or code; a camera frame decodes to the ticket; every bad query a typed 4xx")
    func doorTools() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-door-tools")
            defer { try? FileManager.default.removeItem(at: directory) }
            let scene = try await DoorScene.make(database: database, directory: directory, tickets: 1)
            let (server, venue) = (scene.server, scene.venue)
            let (node, _) = try await scene.runNode(["--sync-interval", "0.5"])
            let staff = try await VenueNodeTests.staff(node)

            // Nothing without a staff session.
            for path in ["/api/v1/door-sales", "/api/v1/scans?ticket=\(venue.tickets[0].id)"] {
                #expect(try await node.api.get(path).status == 401, "\(path)")
            }
            #expect(try await node.api.send(
                .POST, "/api/v1/frames?width=16&height=16", body: Data(count: 256),
                headers: [("Content-Type", "application/octet-stream")]).status == 401)

            // Sales, newest first, each with its tickets and where its upload stands.
            #expect(try await staff.get("/api/v1/door-sales").json["sales"].array.isEmpty)
            var sold: [String] = []
            for quantity in [1, 2] {
                let sale = try await staff.post(
                    "/api/v1/sales", ["ticket_type_id": venue.ticketType, "quantity": quantity, "payment_method": "cash"])
                #expect(sale.status == 201, "\(sale.text)")
                sold.append(try #require(sale.json["sale_id"].string))
            }
            let sales = try await staff.get("/api/v1/door-sales").json["sales"].array
            #expect(sales.map { $0["sale_id"].string } == sold.reversed())
            #expect(sales[0]["tickets"].array.count == 2 && sales[1]["tickets"].array.count == 1)
            #expect(sales[0]["ticket_type_name"].string == "Standard" && sales[0]["amount_minor"].int == 5000)
            let qr = try #require(sales[0]["tickets"][0]["qr_png"].string)
            #expect(try await staff.get(qr).status == 200, "the listed ticket's QR code is served")
            #expect(try await staff.get("/api/v1/door-sales?limit=1").json["sales"].array.count == 1)
            // The node syncs every half second: both sales reach the server and say so.
            var uploads: [String?] = []
            for _ in 0..<100 {
                uploads = try await staff.get("/api/v1/door-sales").json["sales"].array.map { $0["upload"].string }
                if uploads == ["uploaded", "uploaded"] { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(uploads == ["uploaded", "uploaded"])
            for limit in ["0", "201", "-1", "abc", "9223372036854775808"] {
                let answer = try await staff.get("/api/v1/door-sales?limit=\(limit)")
                #expect(answer.status == 422 && answer.errorCode == "validation_failed", "limit=\(limit): \(answer.text)")
            }

            // A ticket's scans: by its id, or by the code itself (scanned into the search field).
            let ticket = venue.tickets[0]
            let clock = ContinuousClock()
            let scanned = clock.now
            _ = try await VenueNodeTests.scan(staff, ticket.payload, gate: "North")
            _ = try await VenueNodeTests.scan(staff, ticket.payload, gate: "South")
            // Each scan is pushed at once: the node was holding a pull open (25 s), and the scan ends it.
            var onServer = 0
            while clock.now - scanned < .seconds(5) {
                onServer = try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
                    let rows = try await client.query("SELECT count(*)::int FROM scans", logger: Logger(label: "e2e"))
                    for try await count in rows.decode(Int.self) { return count }
                    return 0
                }
                if onServer == 2 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(onServer == 2, "both scans reach the server within 5 s of being made")
            print("door tools: two scans on the server \(clock.now - scanned) after the first")
            for query in [ticket.id, ticket.payload] {
                let answer = try await staff.get("/api/v1/scans?ticket=\(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
                #expect(answer.status == 200, "\(answer.text)")
                #expect(answer.json["ticket_id"].string == ticket.id)
                #expect(answer.json["scans"].array.map { $0["verdict"].string } == ["already_admitted", "ok"])
                #expect(answer.json["scans"].array.map { $0["gate"].string } == ["South", "North"])
                #expect(answer.json["scans"].array.allSatisfy { $0["here"].bool == true })
            }
            for query in ["", "not-a-ticket", String(repeating: "A", count: 2_000)] {
                let answer = try await staff.get("/api/v1/scans?ticket=\(query)")
                #expect(answer.status == 422 && answer.errorCode == "validation_failed", "ticket=\(query.prefix(20)): \(answer.text)")
            }
            #expect(try await staff.get("/api/v1/scans").status == 422)

            // A camera frame: the ticket's code in a 320 × 240 greyscale picture, decoded on the node.
            let frame = try GreyFrame.qr(ticket.payload, width: 320, height: 240, moduleSize: 3)
            func post(_ query: String, _ body: Data, type: String = "application/octet-stream") async throws -> APIResponse {
                try await staff.send(.POST, "/api/v1/frames?\(query)", body: body, headers: [("Content-Type", type)])
            }
            let decoded = try await post("width=320&height=240", Data(frame.pixels))
            #expect(decoded.status == 200, "\(decoded.text)")
            #expect(decoded.json["codes"].array.map(\.string) == [ticket.payload])
            let blank = try await post("width=320&height=240", Data(GreyFrame.blank(width: 320, height: 240).pixels))
            #expect(blank.status == 200 && blank.json["codes"].array.isEmpty)
            #expect(try await post("width=320&height=240", Data(frame.pixels), type: "application/json").status == 415)
            for query in ["width=0&height=240", "width=320&height=1025", "width=abc&height=240", "height=240",
                          "width=9223372036854775807&height=9223372036854775807", "width=-320&height=240"] {
                let answer = try await post(query, Data(frame.pixels))
                #expect(answer.status == 422 && answer.errorCode == "validation_failed", "\(query): \(answer.text)")
            }
            #expect(try await post("width=320&height=240", Data(frame.pixels.prefix(1000))).status == 422, "too few bytes")
            let tooMany = try await post("width=320&height=240", Data(frame.pixels + [0]))
            #expect(tooMany.status == 413 && tooMany.errorCode == "payload_too_large", "\(tooMany.text)")
            #expect(try await node.api.get("/health").status == 200, "the node lives")
            for process in [node, server] { #expect(try await process.stop() == 0) }
        }
    }
}
