import Foundation
import SpotTestSupport
import Testing

@testable import SpotServer

/// Email through a real SMTP server (Debian's aiosmtpd, `SMTPTestServer`), read back with
/// Python's `email` package and its QR codes with `zbarimg`.
@Suite("Email through a real SMTP server")
struct EmailDeliveryTests {
    static let from = "HVFLVSPOT Tickets <tickets@example.com>"

    /// A live server whose email goes to `smtp`, retrying quickly.
    static func run(
        _ smtp: SMTPTestServer, url: String, _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        let configuration = try SMTPConfiguration(url: url, from: from, trustRootsFile: smtp.certificatePath)
        try await TestServer.run(configure: {
            $0.smtp = configuration
            $0.runsBackgroundServices = true
            $0.notificationPolicy = WorkerPolicy(maximumAttempts: 4, baseDelay: 0.2, idleInterval: .milliseconds(100))
        }, body)
    }

    /// The message as Python's `email` package reads it; its images written to `directory`.
    static func parse(_ message: URL, images directory: URL) async throws -> JSON {
        let python = ProcessInfo.processInfo.environment["SPOT_TEST_PYTHON"] ?? "python3"
        let result = try await runProcess(
            python, [repositoryRoot.appendingPathComponent("Tests/Tools/mail_check.py").path, message.path, directory.path])
        guard result.status == 0 else { throw TestFailure("mail_check.py: \(result.stderr)") }
        return JSON(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)))
    }

    @Test("A booking confirmation over STARTTLS with AUTH: MIME that Python reads, its tickets' QR codes scannable, inline and attached")
    func bookingConfirmation() async throws {
        let smtp = try await SMTPTestServer.start(tls: true, user: "mailer", password: "relay secret")
        defer { smtp.stop() }
        try await Self.run(smtp, url: "smtp://mailer:relay%20secret@localhost:\(smtp.port)") { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 20)
            let (buyer, userID, _) = try await server.register("fan@example.com")
            let booking = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 2)
            let tickets = Dictionary(uniqueKeysWithValues: booking["tickets"].array.compactMap { ticket in
                ticket["id"].string.map { ($0, ticket["payload"].string ?? "") }
            })
            #expect(tickets.count == 2)
            try await eventually("the confirmation to arrive") { try smtp.messages().count == 1 }
            let (file, facts) = try #require(try smtp.messages().first)
            #expect(facts["encrypted"].bool == true, "STARTTLS was used")
            #expect(facts["authenticated"].bool == true, "AUTH PLAIN over TLS")
            #expect(facts["mail_from"].string == "tickets@example.com")
            #expect(facts["rcpt_tos"].array.compactMap(\.string) == ["fan@example.com"])

            let images = try makeTemporaryDirectory("spot-mail")
            defer { try? FileManager.default.removeItem(at: images) }
            let mail = try await Self.parse(file, images: images)
            #expect(mail["defects"].array.isEmpty, "\(mail["defects"])")
            #expect(mail["longest_line"].int.map { $0 <= 998 } == true)
            #expect(mail["subject"].string == "Your tickets for Summer Jazz Festival")
            #expect(mail["from"].string == Self.from && mail["to"].string == "fan@example.com")
            let parts = mail["parts"].array
            #expect(parts.map { $0["type"].string } == [
                "multipart/mixed", "multipart/related", "multipart/alternative", "text/plain", "text/html",
                "image/png", "image/png", "image/png", "image/png",
            ])
            let text = try #require(parts.first { $0["type"].string == "text/plain" }?["text"].string)
            let html = try #require(parts.first { $0["type"].string == "text/html" }?["text"].string)
            for (id, payload) in tickets {
                #expect(text.contains(id) && text.contains(payload), "the plain text lists each ticket and its code")
                #expect(html.contains("cid:ticket-\(id)@hvflvspot"), "the HTML shows each ticket's QR code inline")
            }
            let inline = parts.filter { $0["disposition"].string == "inline" }
            let attached = parts.filter { $0["disposition"].string == "attachment" }
            #expect(Set(inline.compactMap { $0["content_id"].string }) == Set(tickets.keys.map { "<ticket-\($0)@hvflvspot>" }))
            #expect(Set(attached.compactMap { $0["filename"].string }) == Set(tickets.keys.map { "ticket-\($0).png" }))
            for part in inline + attached {
                let decoded = try await runProcess("zbarimg", ["--quiet", "--raw", try #require(part["file"].string)])
                #expect(decoded.status == 0, "\(decoded.stderr)")
                let id = String((part["filename"].string ?? "").dropFirst("ticket-".count).dropLast(".png".count))
                #expect(decoded.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == tickets[id], "ticket \(id)")
            }
            #expect(try await server.text(
                "SELECT status || ' ' || provider_message_id FROM notifications WHERE user_id = '\(userID)' AND channel = 'email'"
            ).hasPrefix("sent <"))
            #expect(mail["message_id"].string == "<" + (try await server.text(
                "SELECT id::text FROM notifications WHERE user_id = '\(userID)' AND channel = 'email'")) + "@hvflvspot>")
        }
    }

    @Test("A relay that answers 4xx is tried again until it accepts; one that answers 5xx gives the message up at once")
    func refusals() async throws {
        let busy = try await SMTPTestServer.start(tls: false, transient: 2)
        defer { busy.stop() }
        try await Self.run(busy, url: "smtp://localhost:\(busy.port)") { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 20)
            let (buyer, userID, _) = try await server.register("fan@example.com")
            _ = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType)
            try await eventually("the third attempt to be accepted") { try busy.messages().count == 1 }
            #expect(try busy.messages().first?.facts["refused_before"].int == 2)
            #expect(try busy.messages().first?.facts["encrypted"].bool == false, "no STARTTLS offered: plain, without a password")
            let row = "FROM notifications WHERE user_id = '\(userID)' AND channel = 'email'"
            try await eventually("the notification to be recorded sent") {
                try await server.text("SELECT status \(row)") == "sent"
            }
            #expect(try await server.count("SELECT attempts \(row)") == 3)
        }

        let refusing = try await SMTPTestServer.start(tls: false, permanent: true)
        defer { refusing.stop() }
        try await Self.run(refusing, url: "smtp://localhost:\(refusing.port)") { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 20)
            let (buyer, userID, _) = try await server.register("fan@example.com")
            _ = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType)
            let row = "FROM notifications WHERE user_id = '\(userID)' AND channel = 'email'"
            try await eventually("the notification to be given up") { try await server.text("SELECT status \(row)") == "dead" }
            #expect(try await server.count("SELECT attempts \(row)") == 1, "a 5xx is not tried again")
            #expect(try await server.text("SELECT last_error \(row)").contains("550"))
            #expect(try refusing.messages().isEmpty)
        }
    }

    @Test("A password is never sent to a remote relay that offers no STARTTLS, and a relay whose certificate is not trusted gets nothing")
    func noTLSNoPassword() async throws {
        // 127.0.0.2 stands for a relay on another machine: only localhost, 127.0.0.1 and ::1 count as this one.
        let plain = try await SMTPTestServer.start(host: "127.0.0.2", tls: false, user: "mailer", password: "relay secret")
        defer { plain.stop() }
        let provider = EmailProvider(
            client: try SMTPClient(configuration: try SMTPConfiguration(
                url: "smtp://mailer:relay%20secret@127.0.0.2:\(plain.port)", from: Self.from)),
            clock: .system, logger: .init(label: "test"))
        let notification = OutgoingNotification(
            id: UUID(), channel: .email, recipient: "fan@example.com", subject: "Hello", body: "Hi", tickets: [])
        do {
            _ = try await provider.deliver(notification)
            Issue.record("the message was sent")
        } catch let error as SMTPError {
            #expect(error.description.contains("no STARTTLS") && !error.isPermanent, "\(error)")
        }

        // A certificate signed by nobody the client trusts: the handshake fails, nothing is sent.
        let untrusted = try await SMTPTestServer.start(tls: true, user: "mailer", password: "relay secret")
        defer { untrusted.stop() }
        let strict = EmailProvider(
            client: try SMTPClient(configuration: try SMTPConfiguration(
                url: "smtp://mailer:relay%20secret@localhost:\(untrusted.port)", from: Self.from)),
            clock: .system, logger: .init(label: "test"))
        do {
            _ = try await strict.deliver(notification)
            Issue.record("the message was sent to an untrusted relay")
        } catch {
            #expect(String(describing: error).contains("TLS handshake"), "\(error)")
        }
        #expect(try plain.messages().isEmpty && untrusted.messages().isEmpty)
    }
}
