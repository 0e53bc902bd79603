import Foundation
import SpotSync
import Logging
import PostgresNIO

/// The channels notifications go out on.
public enum NotificationChannel: String, Codable, Sendable, CaseIterable {
    case email, sms, push
}

/// What a notification is about; users choose per kind and channel.
public enum NotificationKind: String, Codable, Sendable, CaseIterable {
    case bookingConfirmed = "booking_confirmed"
    case refund
    case eventChanged = "event_changed"
    case eventCancelled = "event_cancelled"
}

/// A notification as its user sees it in the delivery log.
struct NotificationRecord: Codable, Sendable {
    @LowercaseUUID var id: UUID
    let channel: NotificationChannel
    let kind: String
    let recipient: String
    let subject: String
    /// queued, sending, sent, failed (will retry) or dead (gave up).
    let status: String
    let attempts: Int
    let lastError: String?
    let createdAt: Date
    let sentAt: Date?
}

/// The notification outbox: rows written in the same transaction as the business event
/// (a payment, a refund, a change), delivered later by ``NotificationDispatcher``. So a
/// notification exists exactly when its event committed, and survives any crash.
enum NotificationOutbox {
    /// Queues one notification per user and enabled channel: email to the account's
    /// address, SMS when the user has a phone number, push to the user's devices.
    /// `booking`: the booking a confirmation is about, whose tickets an email carries as QR codes.
    static func enqueue(
        _ kind: NotificationKind, users: [UUID], subject: String, body: String, booking: UUID? = nil,
        on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws {
        try await enqueue(
            kind, [Message(subject: subject, body: body, booking: booking, users: Array(Set(users)))], on: connection, now: now,
            logger: logger)
    }

    /// One message and the users it goes to, each on the channels ``enqueue(_:_:on:now:logger:)`` picks.
    struct Message: Sendable {
        let subject: String
        let body: String
        /// The booking a confirmation is about.
        let booking: UUID?
        let users: [UUID]
    }

    /// Queues each of `messages` once per user and enabled channel, in one statement (each
    /// message's text sent once, however many users it goes to).
    static func enqueue(
        _ kind: NotificationKind, _ messages: [Message], on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws {
        let recipients = messages.enumerated().flatMap { number, message in message.users.map { (user: $0, message: number + 1) } }
        guard !recipients.isEmpty else { return }
        // Unprepared: the arrays' length varies, and a generic plan of the join may read all users.
        // A message without a booking carries the empty text (an array cannot hold NULL here).
        try await connection.query(
            """
            WITH message AS (
                SELECT * FROM unnest(\(messages.map(\.subject))::text[], \(messages.map(\.body))::text[],
                                     \(messages.map { $0.booking?.lowercasedText ?? "" })::text[])
                    WITH ORDINALITY AS m(subject, body, booking, number)
            ), recipient AS (
                SELECT * FROM unnest(\(recipients.map(\.user))::uuid[], \(recipients.map(\.message))::int8[]) AS r(user_id, message)
            )
            INSERT INTO notifications (id, user_id, channel, kind, recipient, subject, body, status, next_attempt_at, created_at,
                                       booking_id)
            SELECT gen_random_uuid(), u.id, c.channel, \(kind.rawValue),
                   CASE c.channel WHEN 'email' THEN u.email WHEN 'sms' THEN u.phone ELSE u.id::text END,
                   m.subject, m.body, 'queued', \(now), \(now), nullif(m.booking, '')::uuid
            FROM recipient r JOIN message m ON m.number = r.message JOIN users u ON u.id = r.user_id
            CROSS JOIN unnest(ARRAY['email', 'sms', 'push']) AS c(channel)
            LEFT JOIN notification_preferences p ON p.user_id = u.id AND p.channel = c.channel AND p.kind = \(kind.rawValue)
            WHERE coalesce(p.enabled, true) AND (c.channel <> 'sms' OR u.phone IS NOT NULL)
            """, logger: logger)
    }
}
