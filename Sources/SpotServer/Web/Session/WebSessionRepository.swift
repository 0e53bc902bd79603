import Foundation
import Logging
import PostgresNIO

/// Browser sessions: a random cookie token bound to a row of `sessions`, so revoking the
/// session (sign-out, an admin, a stolen refresh token) ends the browser session too.
struct WebSessionRepository: Sendable {
    let database: Database
    let auth: AuthRepository
    /// A session unused this long ends (the absolute limit is the session's own expiry).
    let idleTimeout: TimeInterval

    /// How often `last_seen_at` is written at most: reading a page is not a write per request.
    static let touchInterval: TimeInterval = 60

    /// Binds a new cookie token to `sessionID`; returns the token (only its hash is stored).
    func attach(sessionID: UUID, now: Date, logger: Logger) async throws -> String {
        let token = OpaqueToken.make(prefix: OpaqueToken.webSessionPrefix)
        try await database.query(
            """
            INSERT INTO web_sessions (token_hash, session_id, last_seen_at)
            VALUES (\(OpaqueToken.hash(token)), \(sessionID), \(now))
            """, logger: logger)
        return token
    }

    /// The signed-in user behind a cookie token, if its session is live and not idle.
    func user(token: String, now: Date, logger: Logger) async throws -> (User, sessionID: UUID)? {
        let rows = try await database.query(
            """
            SELECT s.id, w.last_seen_at, u.id, u.email, u.display_name, u.role, u.created_at
            FROM web_sessions w JOIN sessions s ON s.id = w.session_id JOIN users u ON u.id = s.user_id
            WHERE w.token_hash = \(OpaqueToken.hash(token)) AND s.revoked_at IS NULL AND s.expires_at > \(now)
            """, logger: logger)
        var found: (User, UUID, Date)?
        for try await (session, seen, id, email, name, role, created) in rows.decode(
            (UUID, Date, UUID, String, String, String, Date).self)
        {
            guard let role = Role(rawValue: role) else { return nil }
            found = (User(id: id, email: email, displayName: name, role: role, createdAt: created), session, seen)
        }
        guard let (user, sessionID, lastSeen) = found else { return nil }
        guard now.timeIntervalSince(lastSeen) < idleTimeout else {
            try await auth.revokeSession(sessionID, reason: "idle", now: now, logger: logger)
            return nil
        }
        if now.timeIntervalSince(lastSeen) >= Self.touchInterval {
            try await database.query(
                "UPDATE web_sessions SET last_seen_at = \(now) WHERE token_hash = \(OpaqueToken.hash(token))", logger: logger)
        }
        return (user, sessionID)
    }
}
