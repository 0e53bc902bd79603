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
            kind, Set(users).map { Message(user: $0, subject: subject, body: body, booking: booking) }, on: connection, now: now,
            logger: logger)
    }

    /// One message to one user, queued on the channels ``enqueue(_:_:on:now:logger:)`` picks.
    struct Message: Sendable {
        let user: UUID
        let subject: String
        let body: String
        /// The booking a confirmation is about.
        let booking: UUID?
    }

    /// Queues each of `messages` once per enabled channel of its user, in one statement.
    static func enqueue(
        _ kind: NotificationKind, _ messages: [Message], on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws {
        guard !messages.isEmpty else { return }
        // Unprepared: the arrays' length varies, and a generic plan of the join may read all users.
        // A message without a booking carries the empty text (an array cannot hold NULL here).
        try await connection.query(
            """
            INSERT INTO notifications (id, user_id, channel, kind, recipient, subject, body, status, next_attempt_at, created_at,
                                       booking_id)
            SELECT gen_random_uuid(), u.id, c.channel, \(kind.rawValue),
                   CASE c.channel WHEN 'email' THEN u.email WHEN 'sms' THEN u.phone ELSE u.id::text END,
                   m.subject, m.body, 'queued', \(now), \(now), nullif(m.booking, '')::uuid
            FROM unnest(\(messages.map(\.user))::uuid[], \(messages.map(\.subject))::text[], \(messages.map(\.body))::text[],
                        \(messages.map { $0.booking?.lowercasedText ?? "" })::text[]) AS m(user_id, subject, body, booking)
            JOIN users u ON u.id = m.user_id
            CROSS JOIN unnest(ARRAY['email', 'sms', 'push']) AS c(channel)
            LEFT JOIN notification_preferences p ON p.user_id = u.id AND p.channel = c.channel AND p.kind = \(kind.rawValue)
            WHERE coalesce(p.enabled, true) AND (c.channel <> 'sms' OR u.phone IS NOT NULL)
            """, logger: logger)
    }
}
