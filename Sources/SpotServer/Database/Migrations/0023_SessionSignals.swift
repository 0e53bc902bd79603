extension Migrations {
    /// Access tokens are checked against sessions kept in the process (`LiveSessions`): every
    /// commit that revokes, ends or deletes a session sends `NOTIFY hvflvspot_sessions` with
    /// `session:<id>`, and every commit that changes a user's role or deletes a user sends
    /// `user:<id>`, so each server replica drops what it kept at once.
    static let sessionSignals = Migration(
        version: 23, name: "session signals",
        statements: [
            """
            CREATE FUNCTION live_sessions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_TABLE_NAME = 'sessions' THEN
                    PERFORM pg_notify('\(LiveSessions.channel)', 'session:' || OLD.id::text);
                ELSE
                    PERFORM pg_notify('\(LiveSessions.channel)', 'user:' || OLD.id::text);
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER sessions_live_sessions AFTER UPDATE OF user_id, revoked_at, expires_at OR DELETE ON sessions
            FOR EACH ROW EXECUTE FUNCTION live_sessions_changed()
            """,
            """
            CREATE TRIGGER users_live_sessions AFTER UPDATE OF role OR DELETE ON users
            FOR EACH ROW EXECUTE FUNCTION live_sessions_changed()
            """,
        ])
}
