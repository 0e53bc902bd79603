extension Migrations {
    /// Server replicas keep the device credentials they checked (`NodeCredentialCache`): every
    /// commit that changes a node's status, or changes or removes a device credential, now also
    /// sends `NOTIFY hvflvspot_sync` with `nodes:<venue>`, so each replica drops what it keeps for
    /// that venue at once. Before, replicas dropped it on any `state:` signal — a key rotation
    /// made every node of the organizer look its credential up again in the same second.
    static let nodeCredentialSignals = Migration(
        version: 20, name: "node credential signals",
        statements: [
            """
            CREATE OR REPLACE FUNCTION sync_signal_node_state() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_TABLE_NAME = 'nodes' THEN
                    PERFORM pg_notify('\(SyncSignal.channel)', 'state:' || NEW.venue_id::text);
                    PERFORM pg_notify('\(SyncSignal.channel)', 'nodes:' || NEW.venue_id::text);
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
            CREATE FUNCTION sync_signal_node_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('\(SyncSignal.channel)', 'nodes:' || n.venue_id::text)
                FROM nodes n WHERE n.id = OLD.node_id;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER node_credentials_sync_signal AFTER UPDATE OR DELETE ON node_credentials
            FOR EACH ROW EXECUTE FUNCTION sync_signal_node_credentials()
            """,
        ])
}
