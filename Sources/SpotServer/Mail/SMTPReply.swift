import Foundation

/// A reply of an SMTP server (RFC 5321 §4.2): its code and the text of each of its lines.
struct SMTPReply: Equatable, Sendable, CustomStringConvertible {
    let code: Int
    let lines: [String]

    var isPositive: Bool { (200..<400).contains(code) }
    var description: String { "\(code) \(lines.joined(separator: " / "))" }
}

/// Gathers a server's lines into replies: `250-first`, `250-more`, `250 last` is one reply.
/// A hostile or broken server cannot make it hold more than ``maximumLines`` lines of
/// ``maximumLineLength`` bytes.
struct SMTPReplyReader: Sendable {
    static let maximumLineLength = 2_048
    static let maximumLines = 100

    private var code: Int?
    private var lines: [String] = []

    /// The reply `line` completes, or nil while more lines are to come.
    mutating func read(_ line: String) throws(SMTPError) -> SMTPReply? {
        let bytes = Array(line.utf8)
        guard bytes.count <= Self.maximumLineLength, bytes.count >= 3,
            let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200...599).contains(code),
            bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-")
        else { throw SMTPError(.transient, "the SMTP server sent a line that is not a reply: \(line.prefix(80))") }
        if let current = self.code, current != code {
            throw SMTPError(.transient, "the SMTP server changed its reply code within a reply (\(current), then \(code))")
        }
        guard lines.count < Self.maximumLines else { throw SMTPError(.transient, "the SMTP server's reply has too many lines") }
        self.code = code
        lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        guard bytes.count == 3 || bytes[3] == UInt8(ascii: " ") else { return nil }
        defer {
            self.code = nil
            lines = []
        }
        return SMTPReply(code: code, lines: lines)
    }
}

/// Why a message was not delivered: a ``Kind/transient`` failure (a 4xx reply, a lost or
/// refused connection, a timeout) is tried again later; a ``Kind/permanent`` one (a 5xx reply)
/// would fail the same way again, so the notification is given up at once.
struct SMTPError: Error, Sendable, CustomStringConvertible, DeliveryFailure {
    enum Kind: Sendable {
        case transient
        case permanent
    }

    let kind: Kind
    let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// The server's refusal of `step`: permanent for a 5xx reply, otherwise transient.
    init(refused reply: SMTPReply, at step: String) {
        self.init(reply.code >= 500 ? .permanent : .transient, "the SMTP server refused \(step): \(reply)")
    }

    var isPermanent: Bool { kind == .permanent }
}
