import Foundation
import NIOCore
import Testing

@testable import SpotServer

@Suite("SMTP: the conversation, replies, addresses and the message, without I/O")
struct SMTPSessionTests {
    static func reply(_ code: Int, _ lines: String...) -> SMTPReply { SMTPReply(code: code, lines: lines.isEmpty ? [""] : lines) }

    static func session(
        credentials: SMTPSession.Credentials? = .init(username: "mailer", password: "secret"), encrypted: Bool = false,
        loopback: Bool = false, recipient: String = "fan@example.com"
    ) -> SMTPSession {
        SMTPSession(
            clientName: "spot.example", sender: "tickets@example.com", recipient: recipient, credentials: credentials,
            encrypted: encrypted, mayAuthenticateInClear: loopback)
    }

    @Test("STARTTLS when offered, AUTH PLAIN over TLS, then the envelope, the message and QUIT")
    func fullConversation() throws {
        var session = Self.session()
        #expect(try session.receive(Self.reply(220, "relay ESMTP")) == .send("EHLO spot.example"))
        #expect(try session.receive(Self.reply(250, "relay", "SIZE 1000000", "STARTTLS", "AUTH LOGIN")) == .send("STARTTLS"))
        #expect(try session.receive(Self.reply(220, "go ahead")) == .startTLS)
        #expect(session.tlsStarted() == .send("EHLO spot.example"))
        let token = Data("\0mailer\0secret".utf8).base64EncodedString()
        #expect(try session.receive(Self.reply(250, "relay", "AUTH LOGIN PLAIN")) == .send("AUTH PLAIN \(token)"))
        #expect(try session.receive(Self.reply(235, "ok")) == .send("MAIL FROM:<tickets@example.com>"))
        #expect(try session.receive(Self.reply(250)) == .send("RCPT TO:<fan@example.com>"))
        #expect(try session.receive(Self.reply(250)) == .send("DATA"))
        #expect(try session.receive(Self.reply(354)) == .sendMessage)
        let accepted = Self.reply(250, "queued as 42")
        #expect(try session.receive(accepted) == .send("QUIT"))
        #expect(try session.receive(Self.reply(221)) == .close(accepted: accepted))
    }

    @Test("A password never crosses a connection without TLS, except to a relay on this machine")
    func noClearPasswords() throws {
        var remote = Self.session()
        _ = try remote.receive(Self.reply(220))
        #expect(throws: SMTPError.self) { try remote.receive(Self.reply(250, "relay", "AUTH PLAIN")) }
        var local = Self.session(loopback: true)
        _ = try local.receive(Self.reply(220))
        guard case .send(let command) = try local.receive(Self.reply(250, "relay", "AUTH PLAIN")) else {
            Issue.record("no AUTH")
            return
        }
        #expect(command.hasPrefix("AUTH PLAIN "))
        // Without credentials and without STARTTLS, the message goes in the clear (port 25 between relays).
        var anonymous = Self.session(credentials: nil)
        _ = try anonymous.receive(Self.reply(220))
        #expect(try anonymous.receive(Self.reply(250, "relay")) == .send("MAIL FROM:<tickets@example.com>"))
        // Implicit TLS (smtps) signs in at once.
        var implicit = Self.session(encrypted: true)
        _ = try implicit.receive(Self.reply(220))
        #expect(try implicit.receive(Self.reply(250, "relay", "STARTTLS", "AUTH PLAIN")) != .send("STARTTLS"))
    }

    @Test("4xx is transient, 5xx permanent; EHLO refused falls back to HELO; an address needing UTF-8 needs SMTPUTF8")
    func refusals() throws {
        var busy = Self.session(credentials: nil)
        _ = try busy.receive(Self.reply(220))
        _ = try busy.receive(Self.reply(250, "relay"))
        _ = try busy.receive(Self.reply(250))
        #expect(throws: SMTPError.self) { try busy.receive(Self.reply(451, "try later")) }
        do {
            var again = Self.session(credentials: nil)
            _ = try again.receive(Self.reply(220))
            _ = try again.receive(Self.reply(250, "relay"))
            _ = try again.receive(Self.reply(250))
            _ = try again.receive(Self.reply(451, "try later"))
        } catch {
            #expect(error.kind == .transient && !error.isPermanent)
            #expect(error.description.contains("the recipient fan@example.com") && error.description.contains("451"))
        }
        do {
            var rejected = Self.session(credentials: nil)
            _ = try rejected.receive(Self.reply(220))
            _ = try rejected.receive(Self.reply(250, "relay"))
            _ = try rejected.receive(Self.reply(250))
            _ = try rejected.receive(Self.reply(250))
            _ = try rejected.receive(Self.reply(354))
            _ = try rejected.receive(Self.reply(550, "no such user"))
            Issue.record("550 was accepted")
        } catch {
            #expect(error.isPermanent)
        }
        var old = Self.session(credentials: nil)
        _ = try old.receive(Self.reply(220))
        #expect(try old.receive(Self.reply(502, "what?")) == .send("HELO spot.example"))
        #expect(try old.receive(Self.reply(250)) == .send("MAIL FROM:<tickets@example.com>"))

        var international = Self.session(credentials: nil, recipient: "jürgen@example.de")
        _ = try international.receive(Self.reply(220))
        do {
            _ = try international.receive(Self.reply(250, "relay"))
            Issue.record("a UTF-8 address went to a server without SMTPUTF8")
        } catch {
            #expect(error.isPermanent)
        }
        var modern = Self.session(credentials: nil, recipient: "jürgen@example.de")
        _ = try modern.receive(Self.reply(220))
        #expect(try modern.receive(Self.reply(250, "relay", "SMTPUTF8")) == .send("MAIL FROM:<tickets@example.com> SMTPUTF8"))
    }

    @Test("A recipient that is not a plain address is refused before any connection")
    func recipients() async throws {
        let provider = EmailProvider(
            client: try SMTPClient(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:1", from: "t@example.com")),
            clock: .system, logger: .init(label: "test"))
        for recipient in ["fan@example.com\r\nRCPT TO:<victim@example.com>", "Fan <fan@example.com>", "not an address"] {
            do {
                _ = try await provider.deliver(
                    OutgoingNotification(id: UUID(), channel: .email, recipient: recipient, subject: "S", body: "B", tickets: []))
                Issue.record("\(recipient) was sent")
            } catch let error as SMTPError {
                #expect(error.isPermanent && error.description.contains("is not an email address"), "\(error)")
            }
        }
    }

    @Test("Replies: multi-line ones gathered, anything else refused, a hostile server bounded")
    func replies() throws {
        var reader = SMTPReplyReader()
        #expect(try reader.read("250-relay greets you") == nil)
        #expect(try reader.read("250-STARTTLS") == nil)
        #expect(try reader.read("250 SMTPUTF8") == SMTPReply(code: 250, lines: ["relay greets you", "STARTTLS", "SMTPUTF8"]))
        #expect(try reader.read("354") == SMTPReply(code: 354, lines: [""]))
        for bad in ["", "25", "abc hello", "250Xhello", "199 too low", "600 too high", String(repeating: "2", count: 3000)] {
            var fresh = SMTPReplyReader()
            #expect(throws: SMTPError.self, "\(bad.prefix(20))") { try fresh.read(bad) }
        }
        var mixed = SMTPReplyReader()
        _ = try mixed.read("250-one")
        #expect(throws: SMTPError.self) { try mixed.read("550 two") }
        var endless = SMTPReplyReader()
        #expect(throws: SMTPError.self) {
            for _ in 0...SMTPReplyReader.maximumLines { _ = try endless.read("250-more") }
        }
    }

    @Test("DATA: a line starting with a dot gets another, and the message ends with a lone dot")
    func dotStuffing() {
        let stuffed = SMTPClient.dotStuffed(ByteBuffer(string: ".first\r\nmiddle\r\n.\r\n..two\r\nlast"))
        #expect(String(buffer: stuffed) == "..first\r\nmiddle\r\n..\r\n...two\r\nlast\r\n.\r\n")
        #expect(String(buffer: SMTPClient.dotStuffed(ByteBuffer(string: "ends\r\n"))) == "ends\r\n.\r\n")
    }

    @Test("Headers: non-ASCII text is encoded, a line break never reaches a header; addresses and URLs are checked")
    func headers() throws {
        #expect(MailMessage.encodedWord("Your tickets") == "Your tickets")
        let encoded = MailMessage.encodedWord("Tickets für Åsa's Nacht")
        #expect(encoded.hasPrefix("=?UTF-8?B?") && encoded.allSatisfy(\.isASCII))
        let injected = MailMessage.encodedWord("Hello\r\nBcc: victim@example.com")
        #expect(!injected.contains("\r\nBcc") && !injected.contains("\nBcc"))
        #expect(MailAddress("HVFLVSPOT <tickets@example.com>")?.address == "tickets@example.com")
        #expect(MailAddress("\"Box Office\" <tickets@example.com>")?.name == "Box Office")
        #expect(MailAddress("HVFLVSPOT <tickets@example.com>")?.header == "HVFLVSPOT <tickets@example.com>")
        #expect(MailAddress("tickets@example.com")?.header == "<tickets@example.com>")
        for bad in ["", "no-at-sign", "two@@example.com", "a b@example.com", "x@example.com\r\nBcc: y@example.com", "<@example.com>"] {
            #expect(MailAddress(bad) == nil, "\(bad)")
        }

        let full = try SMTPConfiguration(url: "smtp://mailer:p%40ss@relay.example:587", from: "Tickets <t@example.com>")
        #expect(full.host == "relay.example" && full.port == 587 && full.security == .startTLSWhenOffered)
        #expect(full.credentials == .init(username: "mailer", password: "p@ss"))
        #expect(full.redactedDescription == "smtp://mailer:***@relay.example:587" && !full.redactedDescription.contains("p@ss"))
        #expect(try SMTPConfiguration(url: "smtps://relay.example", from: "t@example.com").port == 465)
        #expect(try SMTPConfiguration(url: "smtp://relay.example", from: "t@example.com").port == 25)
        for (url, from) in [
            ("http://relay.example", "t@example.com"), ("smtp://", "t@example.com"), ("smtp://relay.example/path", "t@example.com"),
            ("smtp://relay.example:0", "t@example.com"), ("smtp://relay.example", "not an address"),
            ("smtp://relay.example:99999", "t@example.com"),
        ] {
            #expect(throws: ConfigurationError.self, "\(url) \(from)") { try SMTPConfiguration(url: url, from: from) }
        }
        #expect(throws: ConfigurationError.self) {
            try SMTPConfiguration(url: "smtp://relay.example", from: "t@example.com", trustRootsFile: "/nonexistent/ca.pem")
        }
    }
}
