extension Migrations {
    /// Live pull (sync protocol v2): every commit that changes what a venue's nodes hold sends
    /// `NOTIFY hvflvspot_sync` with `feed:<venue>` (new rows in its change feed) or
    /// `state:<venue>` (its nodes' allotments, certificates or status, or its organizer's keys),
    /// so each server replica wakes the pulls waiting on that venue. PostgreSQL delivers a
    /// notification at commit, once per distinct payload per transaction.
    static let liveSyncSignals = Migration(
        version: 11, name: "live sync signals",
        statements: [
            """
            CREATE FUNCTION sync_signal_feed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('\(SyncSignal.channel)', 'feed:' || v.venue_id::text)
                FROM (SELECT DISTINCT venue_id FROM inserted) v;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER sync_feed_signal AFTER INSERT ON sync_feed REFERENCING NEW TABLE AS inserted
            FOR EACH STATEMENT EXECUTE FUNCTION sync_signal_feed()
            """,
            """
            CREATE FUNCTION sync_signal_node_state() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_TABLE_NAME = 'nodes' THEN
                    PERFORM pg_notify('\(SyncSignal.channel)', 'state:' || NEW.venue_id::text);
                ELSIF TG_TABLE_NAME = 'organizer_keys' THEN
                    PERFORM pg_notify('\(SyncSignal.channel)', 'state:' || v.id::text)
                    FROM venues v WHERE v.organizer_id = NEW.organizer_id;
                ELSE
                    PERFORM pg_notify('\(SyncSignal.channel)', 'state:' || n.venue_id::text)
                    FROM nodes n WHERE n.id = NEW.node_id;
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER allotments_sync_signal AFTER INSERT OR UPDATE ON allotments
            FOR EACH ROW EXECUTE FUNCTION sync_signal_node_state()
            """,
            """
            CREATE TRIGGER device_certificates_sync_signal AFTER INSERT ON device_certificates
            FOR EACH ROW EXECUTE FUNCTION sync_signal_node_state()
            """,
            """
            CREATE TRIGGER nodes_sync_signal AFTER INSERT OR UPDATE OF status ON nodes
            FOR EACH ROW EXECUTE FUNCTION sync_signal_node_state()
            """,
            """
            CREATE TRIGGER organizer_keys_sync_signal AFTER INSERT OR UPDATE ON organizer_keys
            FOR EACH ROW EXECUTE FUNCTION sync_signal_node_state()
            """,
        ])
}
