import Foundation

/// One message's conversation with an SMTP server (RFC 5321, STARTTLS per RFC 3207, AUTH
/// PLAIN per RFC 4954) as a state machine without I/O: the client feeds it the server's
/// replies and does what each answer says. Tested alone (`SMTPSessionTests`).
struct SMTPSession: Sendable {
    enum Action: Equatable, Sendable {
        /// Send this command line (the client adds CRLF).
        case send(String)
        /// Send the message, dot-stuffed and ended by a line holding a single dot.
        case sendMessage
        /// Start TLS on the connection, then call ``tlsStarted()``.
        case startTLS
        /// The message was accepted with `reply` (QUIT is answered); close the connection.
        case close(accepted: SMTPReply)
    }

    struct Credentials: Sendable, Equatable {
        let username: String
        let password: String
    }

    private enum State: Sendable {
        case greeting, hello, helloWithoutExtensions, startingTLS, authenticating, sender, recipient, data, message
        case quitting(SMTPReply)
        case closed
    }

    let clientName: String
    let sender: String
    let recipient: String
    let credentials: Credentials?
    /// Whether a password may go over a connection without TLS (to a relay on this machine only).
    let mayAuthenticateInClear: Bool
    private(set) var encrypted: Bool
    private var state = State.greeting
    private var extensions: Set<String> = []
    private var authMechanisms: Set<String> = []

    /// `encrypted`: the connection is TLS from its start (smtps).
    init(
        clientName: String, sender: String, recipient: String, credentials: Credentials?, encrypted: Bool,
        mayAuthenticateInClear: Bool
    ) {
        self.clientName = clientName
        self.sender = sender
        self.recipient = recipient
        self.credentials = credentials
        self.encrypted = encrypted
        self.mayAuthenticateInClear = mayAuthenticateInClear
    }

    /// What to do on the server's `reply`.
    mutating func receive(_ reply: SMTPReply) throws(SMTPError) -> Action {
        switch state {
        case .greeting:
            guard reply.code == 220 else { throw SMTPError(refused: reply, at: "the connection") }
            state = .hello
            return .send("EHLO \(clientName)")
        case .hello:
            guard reply.code == 250 else {
                // A server without extensions (RFC 821) answers EHLO with 500 or 502: say HELO.
                guard [500, 502].contains(reply.code), !encrypted else { throw SMTPError(refused: reply, at: "EHLO") }
                state = .helloWithoutExtensions
                return .send("HELO \(clientName)")
            }
            for line in reply.lines.dropFirst() {
                let words = line.uppercased().split(separator: " ").map(String.init)
                guard let keyword = words.first else { continue }
                extensions.insert(keyword)
                if keyword == "AUTH" { authMechanisms.formUnion(words.dropFirst()) }
            }
            if !encrypted, extensions.contains("STARTTLS") {
                state = .startingTLS
                return .send("STARTTLS")
            }
            return try afterHello()
        case .helloWithoutExtensions:
            guard reply.code == 250 else { throw SMTPError(refused: reply, at: "HELO") }
            return try afterHello()
        case .startingTLS:
            guard reply.code == 220 else { throw SMTPError(refused: reply, at: "STARTTLS") }
            return .startTLS
        case .authenticating:
            guard reply.code == 235 else { throw SMTPError(refused: reply, at: "the sign-in (AUTH PLAIN)") }
            return mailFrom()
        case .sender:
            guard reply.code == 250 else { throw SMTPError(refused: reply, at: "the sender \(sender)") }
            state = .recipient
            return .send("RCPT TO:<\(recipient)>")
        case .recipient:
            guard [250, 251].contains(reply.code) else { throw SMTPError(refused: reply, at: "the recipient \(recipient)") }
            state = .data
            return .send("DATA")
        case .data:
            guard reply.code == 354 else { throw SMTPError(refused: reply, at: "DATA") }
            state = .message
            return .sendMessage
        case .message:
            guard reply.code == 250 else { throw SMTPError(refused: reply, at: "the message") }
            state = .quitting(reply)
            return .send("QUIT")
        case .quitting(let accepted):
            state = .closed
            return .close(accepted: accepted)
        case .closed:
            throw SMTPError(.transient, "the SMTP server spoke after QUIT: \(reply)")
        }
    }

    /// TLS is up: greet again (the server forgets what it offered before).
    mutating func tlsStarted() -> Action {
        encrypted = true
        extensions = []
        authMechanisms = []
        state = .hello
        return .send("EHLO \(clientName)")
    }

    private mutating func afterHello() throws(SMTPError) -> Action {
        let needsUTF8 = !(sender + recipient).allSatisfy(\.isASCII)
        if needsUTF8, !extensions.contains("SMTPUTF8") {
            throw SMTPError(.permanent, "the address \(recipient) needs SMTPUTF8, which the SMTP server does not offer")
        }
        guard let credentials else { return mailFrom() }
        guard encrypted || mayAuthenticateInClear else {
            throw SMTPError(.transient, "the SMTP server offered no STARTTLS: the password is not sent over a connection without TLS")
        }
        guard authMechanisms.contains("PLAIN") else {
            throw SMTPError(.transient, "the SMTP server does not offer AUTH PLAIN (it offers: \(authMechanisms.sorted().joined(separator: " ")))")
        }
        state = .authenticating
        let token = Data("\0\(credentials.username)\0\(credentials.password)".utf8).base64EncodedString()
        return .send("AUTH PLAIN \(token)")
    }

    private mutating func mailFrom() -> Action {
        state = .sender
        let utf8 = (sender + recipient).allSatisfy(\.isASCII) ? "" : " SMTPUTF8"
        return .send("MAIL FROM:<\(sender)>\(utf8)")
    }
}
