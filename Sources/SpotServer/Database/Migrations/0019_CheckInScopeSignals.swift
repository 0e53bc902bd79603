extension Migrations {
    /// Online check-in keeps whose events each user checks in for (`CheckInFacts`): every commit
    /// that changes an organizer's profile or a staff assignment sends `NOTIFY hvflvspot_check_in`
    /// with `scope:<user id>` (the old and the new user), so each server replica drops it at once.
    static let checkInScopeSignals = Migration(
        version: 19, name: "check-in scope signals",
        statements: [
            """
            CREATE FUNCTION check_in_scope_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    PERFORM pg_notify('\(CheckInFacts.channel)', 'scope:' || OLD.user_id::text);
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    PERFORM pg_notify('\(CheckInFacts.channel)', 'scope:' || NEW.user_id::text);
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER organizers_check_in_scope AFTER INSERT OR UPDATE OF user_id OR DELETE ON organizers
            FOR EACH ROW EXECUTE FUNCTION check_in_scope_changed()
            """,
            """
            CREATE TRIGGER staff_assignments_check_in_scope AFTER INSERT OR UPDATE OR DELETE ON staff_assignments
            FOR EACH ROW EXECUTE FUNCTION check_in_scope_changed()
            """,
        ])
}
