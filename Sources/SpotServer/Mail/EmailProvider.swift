import Foundation
import Logging
import SpotQR

/// Email through an SMTP relay (``SMTPClient``). A booking confirmation carries each ticket's
/// QR code as a PNG, shown inline in the HTML part and attached; every message has a plain-text
/// part. A 5xx refusal is permanent (the notification is given up at once), anything else is
/// tried again by the dispatcher.
struct EmailProvider: NotificationProvider {
    let channel = NotificationChannel.email
    let client: SMTPClient
    let clock: ServerClock
    let logger: Logger

    func deliver(_ notification: OutgoingNotification) async throws -> String {
        // The address goes into RCPT TO and a header: one that is not a plain address (a line
        // break, angle brackets) is refused rather than sent.
        guard MailAddress(notification.recipient)?.name == nil, MailAddress(notification.recipient) != nil else {
            throw SMTPError(.permanent, "the recipient \(notification.recipient.debugDescription) is not an email address")
        }
        let message = try Self.message(for: notification, from: client.configuration.from, date: clock.now())
        let accepted = try await client.send(try message.rendered(), to: notification.recipient)
        logger.info(
            "email accepted by the relay",
            metadata: ["notification": "\(notification.id)", "reply": "\(accepted.code) \(accepted.lines.last ?? "")"])
        return "<\(message.messageID)>"
    }

    /// The email for `notification`: its text, and for each of its tickets a QR code.
    static func message(for notification: OutgoingNotification, from: MailAddress, date: Date) throws -> MailMessage {
        let images = try notification.tickets.map { ticket in
            MailMessage.Image(
                contentID: "ticket-\(ticket.id.lowercasedText)@hvflvspot", fileName: "ticket-\(ticket.id.lowercasedText).png",
                png: try QRCode(text: ticket.payload).pngData(moduleSize: 8))
        }
        return MailMessage(
            from: from, to: notification.recipient, subject: notification.subject, text: notification.body,
            html: images.isEmpty ? nil : html(notification, images: images), images: images,
            messageID: "\(notification.id.lowercasedText)@hvflvspot", date: date)
    }

    /// The HTML alternative: the text's paragraphs, then each ticket's QR code.
    private static func html(_ notification: OutgoingNotification, images: [MailMessage.Image]) -> String {
        let paragraphs = notification.body.components(separatedBy: "\n\n").prefix { !$0.hasPrefix("Ticket ") }
            .map { "<p>\(escape($0).replacingOccurrences(of: "\n", with: "<br>"))</p>" }
        let tickets = zip(notification.tickets, images).map { ticket, image in
            """
            <figure><img src="cid:\(image.contentID)" alt="QR code of ticket \(ticket.id.lowercasedText)" width="296" height="296">
            <figcaption>Ticket \(ticket.id.lowercasedText)</figcaption></figure>
            """
        }
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>\(escape(notification.subject))</title></head>
            <body>
            \(paragraphs.joined(separator: "\n"))
            \(tickets.joined(separator: "\n"))
            </body></html>
            """
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
