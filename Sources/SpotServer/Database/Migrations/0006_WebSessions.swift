extension Migrations {
    /// Browser sessions of the web site. Each is a row of `sessions` (so revocation, expiry
    /// and "sign out everywhere" work as for API sessions) reached through a random cookie
    /// whose SHA-256 alone is stored; `last_seen_at` drives the idle timeout.
    /// Also conflicts gain who resolved them and how, for the organizer's conflicts page.
    static let webSessions = Migration(
        version: 6, name: "web sessions",
        statements: [
            """
            CREATE TABLE web_sessions (
                token_hash bytea PRIMARY KEY,
                session_id uuid NOT NULL UNIQUE REFERENCES sessions (id),
                last_seen_at timestamptz NOT NULL
            )
            """,
            """
            ALTER TABLE conflicts
                ADD COLUMN resolved_at timestamptz,
                ADD COLUMN resolved_by uuid REFERENCES users (id),
                ADD COLUMN resolution_note text
            """,
        ])
}
