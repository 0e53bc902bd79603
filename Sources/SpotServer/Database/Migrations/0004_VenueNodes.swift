extension Migrations {
    /// Venue edge nodes and sync protocol v1: enrollment codes, nodes and their device
    /// credentials and certificates, allotments (seats escrowed from the online pool),
    /// door sales, the per-node mutation log that makes pushes exactly-once, conflicts,
    /// and the commit-ordered change feed every node pulls (`SyncProtocol/README.md`).
    static let venueNodes = Migration(
        version: 4, name: "venue nodes and sync",
        statements: [
            """
            CREATE TABLE nodes (
                id uuid PRIMARY KEY,
                venue_id uuid NOT NULL REFERENCES venues (id),
                organizer_id uuid NOT NULL REFERENCES organizers (id),
                name text NOT NULL,
                device_public_key bytea NOT NULL UNIQUE,
                status text NOT NULL CHECK (status IN ('active', 'revoked')),
                enrolled_at timestamptz NOT NULL,
                revoked_at timestamptz,
                last_mutation_id bigint NOT NULL DEFAULT 0,
                last_seen_at timestamptz,
                last_pull_at timestamptz,
                last_push_at timestamptz,
                protocol_version integer,
                clock_offset_ms bigint,
                clock_skewed boolean NOT NULL DEFAULT false,
                outbox_depth integer
            )
            """,
            "CREATE INDEX nodes_by_venue ON nodes (venue_id)",
            """
            CREATE TABLE node_enrollment_codes (
                code_hash bytea PRIMARY KEY,
                venue_id uuid NOT NULL REFERENCES venues (id),
                organizer_id uuid NOT NULL REFERENCES organizers (id),
                name text NOT NULL,
                created_by uuid NOT NULL REFERENCES users (id),
                created_at timestamptz NOT NULL,
                expires_at timestamptz NOT NULL,
                used_at timestamptz,
                node_id uuid REFERENCES nodes (id)
            )
            """,
            """
            CREATE TABLE node_credentials (
                id uuid PRIMARY KEY,
                token_hash bytea NOT NULL UNIQUE,
                node_id uuid NOT NULL REFERENCES nodes (id),
                created_at timestamptz NOT NULL,
                expires_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX node_credentials_by_node ON node_credentials (node_id, created_at)",
            """
            CREATE TABLE device_certificates (
                node_id uuid NOT NULL REFERENCES nodes (id),
                issued_at timestamptz NOT NULL,
                not_after timestamptz NOT NULL,
                event_ids uuid[] NOT NULL,
                certificate bytea NOT NULL,
                PRIMARY KEY (node_id, issued_at)
            )
            """,

            // MARK: Allotments: online reserved + Σ granted ≤ capacity, and sold ≤ granted per node.
            """
            ALTER TABLE ticket_types
                ADD COLUMN allotted integer NOT NULL DEFAULT 0 CHECK (allotted >= 0),
                ADD CONSTRAINT ticket_types_pool_never_oversold CHECK (reserved + allotted <= capacity)
            """,
            """
            CREATE TABLE allotments (
                node_id uuid NOT NULL REFERENCES nodes (id),
                ticket_type_id uuid NOT NULL REFERENCES ticket_types (id),
                event_id uuid NOT NULL REFERENCES events (id),
                granted integer NOT NULL CHECK (granted >= 0),
                sold integer NOT NULL DEFAULT 0 CHECK (sold >= 0),
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (node_id, ticket_type_id),
                CHECK (sold <= granted)
            )
            """,

            // MARK: Door sales
            """
            CREATE TABLE door_sales (
                id uuid PRIMARY KEY,
                node_id uuid NOT NULL REFERENCES nodes (id),
                event_id uuid NOT NULL REFERENCES events (id),
                ticket_type_id uuid NOT NULL REFERENCES ticket_types (id),
                quantity integer NOT NULL CHECK (quantity > 0),
                payment_method text NOT NULL CHECK (payment_method IN ('cash', 'card_present')),
                amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
                currency text NOT NULL,
                hlc bigint NOT NULL,
                within_allotment boolean NOT NULL,
                recorded_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX door_sales_by_event ON door_sales (event_id)",
            """
            CREATE TABLE door_tickets (
                id uuid PRIMARY KEY,
                sale_id uuid NOT NULL REFERENCES door_sales (id),
                event_id uuid NOT NULL REFERENCES events (id),
                ticket_type_id uuid NOT NULL REFERENCES ticket_types (id),
                key_id text NOT NULL,
                payload text NOT NULL
            )
            """,
            "CREATE INDEX door_tickets_by_event ON door_tickets (event_id)",

            // MARK: Exactly-once pushes
            """
            CREATE TABLE node_mutations (
                node_id uuid NOT NULL REFERENCES nodes (id),
                mutation_id bigint NOT NULL CHECK (mutation_id > 0),
                kind text NOT NULL CHECK (kind IN ('scan', 'sale', 'release')),
                entity_id uuid,
                status text NOT NULL CHECK (status IN ('applied', 'conflict', 'rejected')),
                error_code text,
                error_message text,
                applied_at timestamptz NOT NULL,
                PRIMARY KEY (node_id, mutation_id)
            )
            """,

            // MARK: Scans from nodes
            "ALTER TABLE scans ADD COLUMN clock_skewed boolean NOT NULL DEFAULT false",

            // MARK: Conflicts
            """
            CREATE TABLE conflicts (
                id uuid PRIMARY KEY,
                kind text NOT NULL CHECK (kind IN ('duplicate_admission', 'admitted_after_revocation',
                                                   'sale_for_cancelled_event', 'sale_beyond_allotment')),
                event_id uuid NOT NULL REFERENCES events (id),
                node_id uuid NOT NULL,
                ticket_id uuid,
                scan_id uuid,
                sale_id uuid REFERENCES door_sales (id),
                admitted_scan_id uuid,
                created_at timestamptz NOT NULL,
                UNIQUE (kind, scan_id),
                UNIQUE (kind, sale_id)
            )
            """,
            "CREATE INDEX conflicts_by_event ON conflicts (event_id, created_at)",

            // MARK: The change feed, read in commit order like the revocation feed: a reader takes
            // only rows of transactions below the oldest one still running (pg_snapshot_xmin).
            """
            CREATE TABLE sync_feed (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                venue_id uuid NOT NULL,
                kind text NOT NULL CHECK (kind IN ('event', 'ticket_type', 'ticket', 'scan', 'conflict')),
                entity_id uuid NOT NULL
            )
            """,
            "CREATE INDEX sync_feed_in_commit_order ON sync_feed (venue_id, txid, id)",
            """
            CREATE FUNCTION sync_feed_record() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                venue uuid;
            BEGIN
                IF TG_TABLE_NAME = 'events' THEN
                    INSERT INTO sync_feed (venue_id, kind, entity_id) VALUES (NEW.venue_id, 'event', NEW.id);
                    IF TG_OP = 'UPDATE' AND OLD.venue_id <> NEW.venue_id THEN
                        INSERT INTO sync_feed (venue_id, kind, entity_id) VALUES (OLD.venue_id, 'event', NEW.id);
                    END IF;
                    RETURN NULL;
                END IF;
                SELECT e.venue_id INTO venue FROM events e WHERE e.id = NEW.event_id;
                IF TG_TABLE_NAME = 'revocations' THEN
                    INSERT INTO sync_feed (venue_id, kind, entity_id) VALUES (venue, TG_ARGV[0], NEW.ticket_id);
                ELSE
                    INSERT INTO sync_feed (venue_id, kind, entity_id) VALUES (venue, TG_ARGV[0], NEW.id);
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER events_sync_feed AFTER INSERT OR UPDATE OF title, starts_at, ends_at, status, reentry_policy, venue_id
            ON events FOR EACH ROW EXECUTE FUNCTION sync_feed_record()
            """,
            """
            CREATE TRIGGER ticket_types_sync_feed AFTER INSERT OR UPDATE OF name, price_minor, currency ON ticket_types
            FOR EACH ROW EXECUTE FUNCTION sync_feed_record('ticket_type')
            """,
            // Bulk inserts (a push of thousands of scans, an online sale of many tickets) record
            // their feed rows in one statement each, through transition tables.
            """
            CREATE FUNCTION sync_feed_record_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO sync_feed (venue_id, kind, entity_id)
                SELECT e.venue_id, TG_ARGV[0], i.id FROM inserted i JOIN events e ON e.id = i.event_id ORDER BY i.id;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE FUNCTION sync_feed_record_accepted_scans() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO sync_feed (venue_id, kind, entity_id)
                SELECT e.venue_id, 'scan', i.id FROM inserted i JOIN events e ON e.id = i.event_id
                WHERE i.verdict = 'ok' ORDER BY i.id;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER tickets_sync_feed_insert AFTER INSERT ON tickets REFERENCING NEW TABLE AS inserted
            FOR EACH STATEMENT EXECUTE FUNCTION sync_feed_record_inserted('ticket')
            """,
            """
            CREATE TRIGGER tickets_sync_feed_update AFTER UPDATE OF status, issue_version ON tickets
            FOR EACH ROW EXECUTE FUNCTION sync_feed_record('ticket')
            """,
            """
            CREATE TRIGGER door_tickets_sync_feed AFTER INSERT ON door_tickets REFERENCING NEW TABLE AS inserted
            FOR EACH STATEMENT EXECUTE FUNCTION sync_feed_record_inserted('ticket')
            """,
            """
            CREATE TRIGGER revocations_sync_feed AFTER INSERT ON revocations
            FOR EACH ROW EXECUTE FUNCTION sync_feed_record('ticket')
            """,
            """
            CREATE TRIGGER scans_sync_feed AFTER INSERT ON scans REFERENCING NEW TABLE AS inserted
            FOR EACH STATEMENT EXECUTE FUNCTION sync_feed_record_accepted_scans()
            """,
            """
            CREATE TRIGGER conflicts_sync_feed AFTER INSERT OR UPDATE ON conflicts
            FOR EACH ROW EXECUTE FUNCTION sync_feed_record('conflict')
            """,
        ])
}
