extension Migrations {
    /// Online check-in keeps events and issuer keys in the process (`CheckInFacts`): every commit
    /// that changes an event or an organizer's keys sends `NOTIFY hvflvspot_check_in` with
    /// `event:<id>` or `keys:<organizer id>`, so each server replica drops what it kept at once.
    static let checkInFactsSignals = Migration(
        version: 14, name: "check-in facts signals",
        statements: [
            """
            CREATE FUNCTION check_in_facts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_TABLE_NAME = 'events' THEN
                    PERFORM pg_notify('\(CheckInFacts.channel)', 'event:' || OLD.id::text);
                ELSIF TG_OP = 'DELETE' THEN
                    PERFORM pg_notify('\(CheckInFacts.channel)', 'keys:' || OLD.organizer_id::text);
                ELSE
                    PERFORM pg_notify('\(CheckInFacts.channel)', 'keys:' || NEW.organizer_id::text);
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER events_check_in_facts AFTER UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION check_in_facts_changed()
            """,
            """
            CREATE TRIGGER organizer_keys_check_in_facts AFTER INSERT OR UPDATE OR DELETE ON organizer_keys
            FOR EACH ROW EXECUTE FUNCTION check_in_facts_changed()
            """,
        ])
}
