import Foundation
import Logging
import PostgresNIO

/// Users, sign-in sessions (refresh-token families) and system tokens in PostgreSQL.
/// Every method is one transaction.
package struct AuthRepository: Sendable {
    static let sessionLifetime: TimeInterval = 30 * 86_400
    static let systemTokenLifetime: TimeInterval = 30 * 86_400

    let database: Database
    /// The sessions this process keeps (one per server process, fed by a ``NotificationFeed``).
    let sessions: LiveSessions

    package init(database: Database, sessions: LiveSessions) {
        self.database = database
        self.sessions = sessions
    }

    /// A secret shared by every replica (`jwt_hs256` signs access tokens, `web_forms` the site's
    /// form keys), created by whichever starts first.
    func secret(named name: String, logger: Logger) async throws -> Data {
        var generator = SystemRandomNumberGenerator()
        let candidate = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return try await database.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO server_secrets (name, value) VALUES (\(name), \(candidate))
                ON CONFLICT (name) DO NOTHING
                """, logger: logger)
            let rows = try await connection.query("SELECT value FROM server_secrets WHERE name = \(name)", logger: logger)
            for try await value in rows.decode(Data.self) { return value }
            throw InternalInconsistency("the shared secret \(name) could not be read back")
        }
    }

    // MARK: Users

    /// Creates a user (and, for organizers, their unverified organizer profile) and
    /// starts a session. 409 if the email is taken.
    package func register(
        email: String, passwordHash: String, displayName: String, role: Role, organizerName: String?,
        clientAddress: String, now: Date, logger: Logger
    ) async throws -> (User, sessionID: UUID, refreshToken: String) {
        let user = User(
            id: UUID.now(now), email: email, displayName: displayName, role: role, createdAt: now)
        return try await database.withTransaction(logger: logger) { connection in
            try await Self.insert(user, passwordHash: passwordHash, on: connection, logger: logger)
            if let organizerName {
                let organizerID = UUID.now(now)
                try await connection.query(
                    """
                    INSERT INTO organizers (id, user_id, name, created_at, updated_at)
                    VALUES (\(organizerID), \(user.id), \(organizerName), \(now), \(now))
                    """, logger: logger)
                try await AuditLog.record(
                    on: connection, actor: user.id, organizer: organizerID, action: "organizer.create",
                    entityType: "organizer", entityID: organizerID, changes: ["name": .init(from: nil, to: organizerName)],
                    at: now, logger: logger)
            }
            let (sessionID, refresh) = try await Self.startSession(
                on: connection, userID: user.id, clientAddress: clientAddress, now: now, logger: logger)
            return (user, sessionID, refresh)
        }
    }

    /// Creates a user without signing them in (e.g. the first admin).
    func createUser(
        email: String, passwordHash: String, displayName: String, role: Role, now: Date, logger: Logger
    ) async throws -> User {
        let user = User(id: UUID.now(now), email: email, displayName: displayName, role: role, createdAt: now)
        try await database.withTransaction(logger: logger) { connection in
            try await Self.insert(user, passwordHash: passwordHash, on: connection, logger: logger)
        }
        return user
    }

    /// Inserts a user row; 409 `email_taken` if the (normalized) email exists.
    static func insert(_ user: User, passwordHash: String, on connection: PostgresConnection, logger: Logger) async throws {
        do {
            try await connection.query(
                """
                INSERT INTO users (id, email, email_normalized, password_hash, display_name, role, created_at, updated_at)
                VALUES (\(user.id), \(user.email), \(normalize(user.email)), \(passwordHash), \(user.displayName),
                        \(user.role.rawValue), \(user.createdAt), \(user.createdAt))
                """, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw DomainError.conflict("An account with this email already exists.", code: .emailTaken)
        }
    }

    /// The user with this email and their password hash, if any.
    package func credentials(email: String, logger: Logger) async throws -> (User, passwordHash: String)? {
        let rows = try await database.query(
            """
            SELECT id, email, display_name, role, created_at, password_hash
            FROM users WHERE email_normalized = \(Self.normalize(email))
            """, logger: logger)
        for try await (id, email, name, role, created, hash) in rows.decode((UUID, String, String, String, Date, String).self) {
            return (User(id: id, email: email, displayName: name, role: try Role(stored: role), createdAt: created), hash)
        }
        return nil
    }

    func user(id: UUID, logger: Logger) async throws -> User? {
        let rows = try await database.query(
            "SELECT id, email, display_name, role, created_at FROM users WHERE id = \(id)", logger: logger)
        for try await (id, email, name, role, created) in rows.decode((UUID, String, String, String, Date).self) {
            return User(id: id, email: email, displayName: name, role: try Role(stored: role), createdAt: created)
        }
        return nil
    }

    // MARK: Sessions

    func startSession(userID: UUID, clientAddress: String, now: Date, logger: Logger) async throws -> (UUID, String) {
        try await database.withTransaction(logger: logger) { connection in
            try await Self.startSession(on: connection, userID: userID, clientAddress: clientAddress, now: now, logger: logger)
        }
    }

    private static func startSession(
        on connection: PostgresConnection, userID: UUID, clientAddress: String, now: Date, logger: Logger
    ) async throws -> (UUID, String) {
        let sessionID = UUID.now(now)
        let refresh = OpaqueToken.make(prefix: OpaqueToken.refreshPrefix)
        try await connection.query(
            """
            INSERT INTO sessions (id, user_id, created_at, expires_at, client_address)
            VALUES (\(sessionID), \(userID), \(now), \(now.addingTimeInterval(sessionLifetime)), \(clientAddress))
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO refresh_tokens (token_hash, session_id, issued_at)
            VALUES (\(OpaqueToken.hash(refresh)), \(sessionID), \(now))
            """, logger: logger)
        return (sessionID, refresh)
    }

    enum RefreshOutcome {
        case rotated(User, sessionID: UUID, refreshToken: String)
        /// The token had been used already: the whole family (this session) is now revoked.
        case reused(UUID)
        case invalid
    }

    /// Exchanges a refresh token for a new one in the same session. A token used twice
    /// means it was stolen: the session and every token of its family are revoked.
    func rotate(refreshToken: String, now: Date, logger: Logger) async throws -> RefreshOutcome {
        let outcome: RefreshOutcome = try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT r.session_id, r.used_at, s.revoked_at, s.expires_at, u.id, u.email, u.display_name, u.role, u.created_at
                FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id JOIN users u ON u.id = s.user_id
                WHERE r.token_hash = \(OpaqueToken.hash(refreshToken))
                FOR UPDATE OF r, s
                """, logger: logger)
            var found: (UUID, Date?, Date?, Date, User)?
            for try await (session, used, revoked, expires, id, email, name, role, created) in rows.decode(
                (UUID, Date?, Date?, Date, UUID, String, String, String, Date).self)
            {
                let user = User(id: id, email: email, displayName: name, role: try Role(stored: role), createdAt: created)
                found = (session, used, revoked, expires, user)
            }
            guard let (sessionID, usedAt, revokedAt, expiresAt, user) = found else { return .invalid }
            guard revokedAt == nil, now < expiresAt else { return .invalid }
            guard usedAt == nil else {
                try await connection.query(
                    """
                    UPDATE sessions SET revoked_at = \(now), revoked_reason = 'refresh_token_reused'
                    WHERE id = \(sessionID)
                    """, logger: logger)
                return .reused(sessionID)
            }
            try await connection.query(
                "UPDATE refresh_tokens SET used_at = \(now) WHERE token_hash = \(OpaqueToken.hash(refreshToken))",
                logger: logger)
            let next = OpaqueToken.make(prefix: OpaqueToken.refreshPrefix)
            try await connection.query(
                """
                INSERT INTO refresh_tokens (token_hash, session_id, issued_at)
                VALUES (\(OpaqueToken.hash(next)), \(sessionID), \(now))
                """, logger: logger)
            return .rotated(user, sessionID: sessionID, refreshToken: next)
        }
        if case .reused(let sessionID) = outcome { sessions.forget(session: sessionID) }
        return outcome
    }

    /// Revokes a session: its access tokens stop working at once, its refresh tokens too.
    func revokeSession(_ sessionID: UUID, reason: String, now: Date, logger: Logger) async throws {
        try await database.query(
            """
            UPDATE sessions SET revoked_at = \(now), revoked_reason = \(reason)
            WHERE id = \(sessionID) AND revoked_at IS NULL
            """, logger: logger)
        sessions.forget(session: sessionID)
    }

    /// The identity behind a session's access token, if the session is live: from the sessions
    /// kept in the process, else read (and kept) from PostgreSQL.
    func sessionIdentity(sessionID: UUID, userID: UUID, now: Date, logger: Logger) async throws -> Identity? {
        guard let session = try await liveSession(sessionID, logger: logger), session.user == userID, session.expiresAt > now
        else { return nil }
        return Identity(userID: userID, role: session.role, credential: .session(sessionID))
    }

    /// A session not revoked, from what this process keeps, else read from PostgreSQL and kept.
    private func liveSession(_ id: UUID, logger: Logger) async throws -> LiveSessions.Session? {
        if let kept = sessions.session(id) { return kept }
        let generation = sessions.generation
        let rows = try await database.execute(LiveSession(id: id), logger: logger)
        // A role the server does not know is refused, not defaulted (and not kept).
        guard let (user, role, expiresAt) = rows.first, let role = Role(rawValue: role) else { return nil }
        let session = LiveSessions.Session(user: user, role: role, expiresAt: expiresAt)
        sessions.keep(session, for: id, readAt: generation)
        return session
    }

    /// A session not revoked: its user, their role, its expiry (a request whose session is not
    /// kept reads it: prepared once per connection).
    private struct LiveSession: PostgresPreparedStatement {
        static let sql = """
            SELECT s.user_id, u.role, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id = $1 AND s.revoked_at IS NULL
            """
        typealias Row = (UUID, String, Date)

        let id: UUID

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(id)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    // MARK: System tokens

    func createSystemToken(userID: UUID, name: String, now: Date, logger: Logger) async throws -> (String, SystemTokenInfo) {
        let token = OpaqueToken.make(prefix: OpaqueToken.systemPrefix)
        let info = SystemTokenInfo(
            id: UUID.now(now), name: name, createdAt: now, expiresAt: now.addingTimeInterval(Self.systemTokenLifetime),
            revokedAt: nil, lastUsedAt: nil)
        try await database.query(
            """
            INSERT INTO system_tokens (id, token_hash, user_id, name, created_at, expires_at)
            VALUES (\(info.id), \(OpaqueToken.hash(token)), \(userID), \(name), \(now), \(info.expiresAt))
            """, logger: logger)
        return (token, info)
    }

    func systemTokens(userID: UUID, logger: Logger) async throws -> [SystemTokenInfo] {
        let rows = try await database.query(
            """
            SELECT id, name, created_at, expires_at, revoked_at, last_used_at FROM system_tokens
            WHERE user_id = \(userID) ORDER BY created_at DESC
            """, logger: logger)
        var tokens: [SystemTokenInfo] = []
        for try await (id, name, created, expires, revoked, used) in rows.decode((UUID, String, Date, Date, Date?, Date?).self) {
            tokens.append(.init(id: id, name: name, createdAt: created, expiresAt: expires, revokedAt: revoked, lastUsedAt: used))
        }
        return tokens
    }

    /// Revokes the caller's own token; false if there is no such live token of theirs.
    func revokeSystemToken(id: UUID, userID: UUID, now: Date, logger: Logger) async throws -> Bool {
        try await database.withConnection(logger: logger) { connection in
            try await connection.returnsRow(
                """
                UPDATE system_tokens SET revoked_at = \(now)
                WHERE id = \(id) AND user_id = \(userID) AND revoked_at IS NULL RETURNING id
                """, logger: logger)
        }
    }

    /// The identity behind a system token, if it is live; records when it was last used.
    func systemTokenIdentity(token: String, now: Date, logger: Logger) async throws -> Identity? {
        let rows = try await database.query(
            """
            UPDATE system_tokens t SET last_used_at = \(now)
            FROM users u
            WHERE t.token_hash = \(OpaqueToken.hash(token)) AND u.id = t.user_id
              AND t.revoked_at IS NULL AND t.expires_at > \(now)
            RETURNING t.id, u.id, u.role
            """, logger: logger)
        for try await (tokenID, userID, role) in rows.decode((UUID, UUID, String).self) {
            guard let role = Role(rawValue: role) else { return nil }
            return Identity(userID: userID, role: role, credential: .systemToken(tokenID))
        }
        return nil
    }

    static func normalize(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}
