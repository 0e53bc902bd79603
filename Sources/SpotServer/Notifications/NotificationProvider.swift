import Foundation
import Logging

/// A message ready for a provider.
public struct OutgoingNotification: Sendable {
    /// Also the provider's idempotency key: a redelivery after a crash is recognised.
    public let id: UUID
    public let channel: NotificationChannel
    public let recipient: String
    public let subject: String
    public let body: String
    /// A booking confirmation's tickets as they are now (a refunded one left out), for an email
    /// to carry as QR codes; empty otherwise.
    public let tickets: [TicketCode]

    public struct TicketCode: Sendable, Equatable {
        public let id: UUID
        public let payload: String
    }
}

/// A provider's error that knows whether trying again could help: a permanent one (an
/// address the mail server refuses with 5xx) is given up at once rather than retried.
public protocol DeliveryFailure: Error {
    var isPermanent: Bool { get }
}

/// Sends notifications on one channel (an email service, an SMS gateway, a push service).
public protocol NotificationProvider: Sendable {
    var channel: NotificationChannel { get }
    /// Delivers the message and returns the provider's message id; throws to have it retried.
    func deliver(_ notification: OutgoingNotification) async throws -> String
}

/// A provider for development and tests: records each delivery in `simulated_deliveries`
/// (counting repeated requests for the same notification) and logs one line. Recipients
/// containing `+fail` are refused, to exercise retries and the dead-letter state.
public struct SimulationProvider: NotificationProvider {
    public let channel: NotificationChannel
    let database: Database
    let logger: Logger

    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    public func deliver(_ notification: OutgoingNotification) async throws -> String {
        guard !notification.recipient.contains("+fail") else {
            throw Refused(description: "simulated \(channel.rawValue) provider refused \(notification.recipient)")
        }
        let messageID = "sim_\(channel.rawValue)_\(notification.id.uuidString.prefix(8).lowercased())"
        try await database.query(
            """
            INSERT INTO simulated_deliveries (notification_id, channel, recipient, subject, body, provider_message_id, delivered_at)
            VALUES (\(notification.id), \(channel.rawValue), \(notification.recipient), \(notification.subject),
                    \(notification.body), \(messageID), now())
            ON CONFLICT (notification_id) DO UPDATE SET deliveries = simulated_deliveries.deliveries + 1
            """, logger: logger)
        logger.info(
            "simulated \(channel.rawValue) delivered",
            metadata: ["to": "\(notification.recipient)", "subject": "\(notification.subject)", "message_id": "\(messageID)"])
        return messageID
    }
}
