import Foundation
import MultipartKit
import NIOCore
import NIOHTTP1

/// An email as HVFLVSPOT sends it (RFC 5322 with MIME): a plain-text part, optionally an HTML
/// alternative, and images each shown inline in the HTML (`cid:`) and attached as a file. The
/// multipart bodies are serialized by MultipartKit; every part is base64, so the message is
/// 7-bit clean with lines of at most 78 characters whatever the text holds.
struct MailMessage: Sendable {
    struct Image: Sendable {
        /// `ticket-<id>@hvflvspot` (without the angle brackets).
        let contentID: String
        let fileName: String
        let png: [UInt8]
    }

    let from: MailAddress
    let to: String
    let subject: String
    let text: String
    let html: String?
    let images: [Image]
    /// `<notification id>@hvflvspot`: the same notification always has the same Message-ID, so a
    /// redelivery after a crash can be recognised downstream.
    let messageID: String
    let date: Date

    /// The message: headers, a blank line, the body; CRLF line ends.
    func rendered(boundary: (String) -> String = { "hvflvspot-\($0)-\(UUID().uuidString)" }) throws -> ByteBuffer {
        var headers = [
            "From: \(from.header)",
            "To: <\(to)>",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(Self.dateFormatter.string(from: date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
        ]
        let text = Self.part(type: "text/plain; charset=utf-8", body: Array(Self.lines(self.text).utf8))
        var body: (type: String, bytes: ByteBuffer)
        if let html {
            let alternativeBoundary = boundary("alternative")
            let alternative = try Self.multipart(
                [text, Self.part(type: "text/html; charset=utf-8", body: Array(Self.lines(html).utf8))], boundary: alternativeBoundary)
            body = ("multipart/alternative; boundary=\"\(alternativeBoundary)\"", alternative)
            if !images.isEmpty {
                let relatedBoundary = boundary("related")
                let inline = images.map {
                    Self.part(
                        type: "image/png", body: $0.png,
                        extra: [("Content-ID", "<\($0.contentID)>"), ("Content-Disposition", "inline; filename=\"\($0.fileName)\"")])
                }
                let related = try Self.multipart(
                    [MultipartPart(headers: HTTPHeaders([("Content-Type", body.type)]), body: body.bytes)] + inline,
                    boundary: relatedBoundary)
                let mixedBoundary = boundary("mixed")
                let attached = images.map {
                    Self.part(type: "image/png", body: $0.png, extra: [("Content-Disposition", "attachment; filename=\"\($0.fileName)\"")])
                }
                let mixed = try Self.multipart(
                    [MultipartPart(
                        headers: HTTPHeaders([("Content-Type", "multipart/related; type=\"multipart/alternative\"; boundary=\"\(relatedBoundary)\"")]),
                        body: related)] + attached,
                    boundary: mixedBoundary)
                body = ("multipart/mixed; boundary=\"\(mixedBoundary)\"", mixed)
            }
            headers.append("Content-Type: \(body.type)")
        } else {
            headers += text.headers.map { "\($0.name): \($0.value)" }
            body = ("", text.body)
        }
        var message = ByteBuffer(string: headers.joined(separator: "\r\n") + "\r\n\r\n")
        message.writeImmutableBuffer(body.bytes)
        return message
    }

    /// A base64 part of `type`.
    private static func part(type: String, body: [UInt8], extra: [(String, String)] = []) -> MultipartPart {
        let encoded = Data(body).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return MultipartPart(
            headers: HTTPHeaders([("Content-Type", type), ("Content-Transfer-Encoding", "base64")] + extra),
            body: ByteBuffer(string: encoded))
    }

    private static func multipart(_ parts: [MultipartPart], boundary: String) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try MultipartSerializer().serialize(parts: parts, boundary: boundary, into: &buffer)
        return buffer
    }

    /// `text` with CRLF line ends.
    private static func lines(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .replacingOccurrences(of: "\n", with: "\r\n")
    }

    /// A header's text: as is when it is plain printable ASCII, else RFC 2047 encoded words
    /// (UTF-8, base64) folded onto lines of their own. Line breaks never reach a header.
    static func encodedWord(_ text: String) -> String {
        let flat = String(text.map { $0.isNewline || ($0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false) ? " " : $0 })
        if flat.allSatisfy({ $0.isASCII }), flat.utf8.count <= 900, !flat.contains("=?") { return flat }
        var words: [String] = []
        var chunk = ""
        for character in flat {
            if chunk.utf8.count + character.utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    private static let dateFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter
    }()
}

/// A sender: `HVFLVSPOT <tickets@example.com>` or a bare address.
struct MailAddress: Sendable, Equatable {
    let name: String?
    let address: String

    /// Reads `Name <address>` or `address`; nil when it is not one (no line breaks, one `@`).
    init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.contains(where: { $0.isNewline || $0 == "\0" }) else { return nil }
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let name = trimmed[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            self.name = name.isEmpty ? nil : name
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        } else {
            name = nil
            address = trimmed
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            !address.contains(where: { $0.isWhitespace || "<>\"(),;:[]\\".contains($0) })
        else { return nil }
    }

    /// The `From:` header's value.
    var header: String {
        guard let name else { return "<\(address)>" }
        let plain = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == " " || $0 == "-" || $0 == ".") }
        return "\(plain ? name : MailMessage.encodedWord(name)) <\(address)>"
    }
}
