import Foundation
import Logging

/// Which notifications a user wants, per channel and kind (default: all on).
struct NotificationPreferences: Sendable {
    let database: Database

    struct Preference: Codable, Sendable, Equatable {
        let channel: NotificationChannel
        let kind: NotificationKind
        let enabled: Bool
    }

    /// Every channel × kind, with the user's choice or the default.
    func current(user: UUID, logger: Logger) async throws -> [Preference] {
        let rows = try await database.query(
            "SELECT channel, kind, enabled FROM notification_preferences WHERE user_id = \(user)", logger: logger)
        var chosen: [String: Bool] = [:]
        for try await (channel, kind, enabled) in rows.decode((String, String, Bool).self) { chosen["\(channel)/\(kind)"] = enabled }
        return NotificationChannel.allCases.flatMap { channel in
            NotificationKind.allCases.map { kind in
                Preference(channel: channel, kind: kind, enabled: chosen["\(channel.rawValue)/\(kind.rawValue)"] ?? true)
            }
        }
    }

    /// Stores `preferences` in one transaction; pairs not listed keep their setting.
    func set(_ preferences: [Preference], user: UUID, logger: Logger) async throws {
        try await database.withTransaction(logger: logger) { connection in
            for preference in preferences {
                try await connection.query(
                    """
                    INSERT INTO notification_preferences (user_id, channel, kind, enabled)
                    VALUES (\(user), \(preference.channel.rawValue), \(preference.kind.rawValue), \(preference.enabled))
                    ON CONFLICT (user_id, channel, kind) DO UPDATE SET enabled = excluded.enabled
                    """, logger: logger)
            }
        }
    }
}
