import Foundation
import Logging

/// A user's display name and phone number (for SMS): read and changed with one rule for the
/// API's `PATCH /me` and the account page.
struct ContactDetails: Sendable {
    let database: Database

    /// The phone number on file, if any.
    func phone(user: UUID, logger: Logger) async throws -> String? {
        let rows = try await database.query("SELECT phone FROM users WHERE id = \(user)", logger: logger)
        for try await phone in rows.decode(String?.self) { return phone }
        return nil
    }

    /// Changes what is given: a nil name or phone keeps it, an empty phone removes it. Checks
    /// everything first (422 naming each bad field) and changes nothing then; returns the phone now on file.
    func update(user: UUID, displayName: String?, phone: String?, now: Date, logger: Logger) async throws -> String? {
        var validator = Validator()
        let name = validator.text(displayName, "display_name", required: false, maxLength: 100)
        if let name { validator.check(!name.isEmpty, "display_name", "must not be empty") }
        let phone = phone.map { $0.replacingOccurrences(of: " ", with: "") }
        if let phone, !phone.isEmpty {
            validator.check(
                phone.hasPrefix("+") && (8...16).contains(phone.count) && phone.dropFirst().allSatisfy { $0.isASCII && $0.isNumber },
                "phone", "must be an international number such as +491701234567")
        }
        try validator.throwIfInvalid()
        let rows = try await database.query(
            """
            UPDATE users SET display_name = coalesce(\(name), display_name),
                phone = CASE WHEN \(phone)::text IS NULL THEN phone ELSE nullif(\(phone), '') END,
                updated_at = \(now)
            WHERE id = \(user) RETURNING phone
            """, logger: logger)
        var stored: String?
        for try await value in rows.decode(String?.self) { stored = value }
        return stored
    }

    /// The user's most recent notifications (every channel), newest first.
    func notifications(user: UUID, limit: Int, logger: Logger) async throws -> [NotificationRecord] {
        let rows = try await database.query(
            """
            SELECT id, channel, kind, recipient, subject, status, attempts, last_error, created_at, sent_at
            FROM notifications WHERE user_id = \(user) ORDER BY created_at DESC, id LIMIT \(limit)
            """, logger: logger)
        var items: [NotificationRecord] = []
        for try await (id, channel, kind, recipient, subject, status, attempts, error, created, sent) in rows.decode(
            (UUID, String, String, String, String, String, Int, String?, Date, Date?).self)
        {
            guard let channel = NotificationChannel(rawValue: channel) else {
                throw InternalInconsistency("a notification's channel '\(channel)' is unknown to this server")
            }
            items.append(.init(
                id: id, channel: channel, kind: kind, recipient: recipient,
                subject: subject, status: status, attempts: attempts, lastError: error, createdAt: created, sentAt: sent))
        }
        return items
    }
}
