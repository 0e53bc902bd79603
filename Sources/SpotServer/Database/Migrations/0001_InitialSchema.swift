extension Migrations {
    /// Users and sessions, organizers and their audit trail, venues, categories,
    /// events with their search document, ticket types, and bookings (which the
    /// recommendations read; the booking flow extends them later).
    static let initialSchema = Migration(
        version: 1, name: "initial schema",
        statements: [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",

            // MARK: Auth
            """
            CREATE TABLE users (
                id uuid PRIMARY KEY,
                email text NOT NULL,
                email_normalized text NOT NULL UNIQUE,
                password_hash text NOT NULL,
                display_name text NOT NULL,
                role text NOT NULL CHECK (role IN ('attendee', 'organizer', 'admin', 'staff')),
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE sessions (
                id uuid PRIMARY KEY,
                user_id uuid NOT NULL REFERENCES users (id),
                created_at timestamptz NOT NULL DEFAULT now(),
                expires_at timestamptz NOT NULL,
                revoked_at timestamptz,
                revoked_reason text,
                client_address text NOT NULL
            )
            """,
            "CREATE INDEX sessions_by_user ON sessions (user_id)",
            """
            CREATE TABLE refresh_tokens (
                token_hash bytea PRIMARY KEY,
                session_id uuid NOT NULL REFERENCES sessions (id),
                issued_at timestamptz NOT NULL DEFAULT now(),
                used_at timestamptz
            )
            """,
            "CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id)",
            """
            CREATE TABLE system_tokens (
                id uuid PRIMARY KEY,
                token_hash bytea NOT NULL UNIQUE,
                user_id uuid NOT NULL REFERENCES users (id),
                name text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                expires_at timestamptz NOT NULL,
                revoked_at timestamptz,
                last_used_at timestamptz
            )
            """,
            "CREATE INDEX system_tokens_by_user ON system_tokens (user_id)",
            """
            CREATE TABLE auth_attempts (
                key text NOT NULL,
                attempted_at timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """,
            "CREATE INDEX auth_attempts_by_key ON auth_attempts (key, attempted_at)",
            """
            CREATE TABLE server_secrets (
                name text PRIMARY KEY,
                value bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,

            // MARK: Organizers
            """
            CREATE TABLE organizers (
                id uuid PRIMARY KEY,
                user_id uuid NOT NULL UNIQUE REFERENCES users (id),
                name text NOT NULL,
                description text NOT NULL DEFAULT '',
                contact_email text,
                website text,
                verified_at timestamptz,
                verified_by uuid REFERENCES users (id),
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE audit_log (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at timestamptz NOT NULL DEFAULT now(),
                actor_user_id uuid REFERENCES users (id),
                organizer_id uuid REFERENCES organizers (id),
                action text NOT NULL,
                entity_type text NOT NULL,
                entity_id uuid NOT NULL,
                changes jsonb NOT NULL DEFAULT '{}'
            )
            """,
            "CREATE INDEX audit_log_by_organizer ON audit_log (organizer_id, id)",
            "CREATE INDEX audit_log_by_entity ON audit_log (entity_id, id)",

            // MARK: Catalogue
            """
            CREATE TABLE categories (
                id text PRIMARY KEY,
                name text NOT NULL,
                position integer NOT NULL
            )
            """,
            """
            INSERT INTO categories (id, name, position) VALUES
                ('music', 'Music', 1), ('festival', 'Festivals', 2), ('theatre', 'Theatre', 3),
                ('comedy', 'Comedy', 4), ('sports', 'Sports', 5), ('conference', 'Conferences', 6),
                ('family', 'Family', 7), ('arts', 'Arts & exhibitions', 8), ('food', 'Food & drink', 9),
                ('nightlife', 'Nightlife', 10), ('film', 'Film', 11), ('other', 'Other', 12)
            """,
            """
            CREATE TABLE venues (
                id uuid PRIMARY KEY,
                organizer_id uuid NOT NULL REFERENCES organizers (id),
                name text NOT NULL,
                city text NOT NULL,
                address text NOT NULL,
                time_zone text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX venues_by_organizer ON venues (organizer_id)",
            """
            CREATE TABLE events (
                id uuid PRIMARY KEY,
                organizer_id uuid NOT NULL REFERENCES organizers (id),
                venue_id uuid NOT NULL REFERENCES venues (id),
                category_id text NOT NULL REFERENCES categories (id),
                title text NOT NULL,
                description text NOT NULL DEFAULT '',
                starts_at timestamptz NOT NULL,
                ends_at timestamptz NOT NULL,
                reentry_policy text NOT NULL DEFAULT 'single_entry'
                    CHECK (reentry_policy IN ('single_entry', 'reentry_after_exit')),
                status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'cancelled')),
                published_at timestamptz,
                cancelled_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                -- Derived by triggers: the venue's city, the price range of the ticket types, the search document.
                city text NOT NULL DEFAULT '',
                min_price_minor bigint,
                max_price_minor bigint,
                search_vector tsvector NOT NULL DEFAULT ''::tsvector,
                CHECK (ends_at > starts_at)
            )
            """,
            "CREATE INDEX events_by_organizer ON events (organizer_id)",
            "CREATE INDEX events_search ON events USING gin (search_vector)",
            "CREATE INDEX events_title_trigram ON events USING gin (title gin_trgm_ops)",
            "CREATE INDEX events_published_by_start ON events (starts_at) WHERE status = 'published'",
            "CREATE INDEX events_published_by_category ON events (category_id, starts_at) WHERE status = 'published'",
            "CREATE INDEX events_published_by_city ON events (lower(city), starts_at) WHERE status = 'published'",
            """
            CREATE FUNCTION events_derive() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                venue record;
            BEGIN
                SELECT name, city INTO venue FROM venues WHERE id = NEW.venue_id;
                NEW.city := coalesce(venue.city, '');
                NEW.search_vector :=
                    setweight(to_tsvector('english', NEW.title), 'A')
                    || setweight(to_tsvector('english', NEW.description), 'B')
                    || setweight(to_tsvector('simple', coalesce(venue.name, '') || ' ' || coalesce(venue.city, '')), 'C');
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER events_derive BEFORE INSERT OR UPDATE OF title, description, venue_id ON events
            FOR EACH ROW EXECUTE FUNCTION events_derive()
            """,
            """
            CREATE FUNCTION venues_propagate() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.name IS DISTINCT FROM OLD.name OR NEW.city IS DISTINCT FROM OLD.city THEN
                    UPDATE events SET venue_id = venue_id WHERE venue_id = NEW.id;
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER venues_propagate AFTER UPDATE ON venues
            FOR EACH ROW EXECUTE FUNCTION venues_propagate()
            """,
            """
            CREATE TABLE ticket_types (
                id uuid PRIMARY KEY,
                event_id uuid NOT NULL REFERENCES events (id),
                name text NOT NULL,
                price_minor bigint NOT NULL CHECK (price_minor >= 0),
                currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
                capacity integer NOT NULL CHECK (capacity > 0),
                sales_start timestamptz,
                sales_end timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                CHECK (sales_end IS NULL OR sales_start IS NULL OR sales_end > sales_start)
            )
            """,
            "CREATE INDEX ticket_types_by_event ON ticket_types (event_id)",
            """
            CREATE FUNCTION ticket_types_price_range() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                target uuid;
            BEGIN
                IF TG_OP = 'DELETE' THEN target := OLD.event_id; ELSE target := NEW.event_id; END IF;
                UPDATE events SET
                    min_price_minor = (SELECT min(price_minor) FROM ticket_types WHERE event_id = target),
                    max_price_minor = (SELECT max(price_minor) FROM ticket_types WHERE event_id = target)
                WHERE id = target;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER ticket_types_price_range AFTER INSERT OR UPDATE OF price_minor OR DELETE ON ticket_types
            FOR EACH ROW EXECUTE FUNCTION ticket_types_price_range()
            """,

            // MARK: Bookings (the booking flow extends this table)
            """
            CREATE TABLE bookings (
                id uuid PRIMARY KEY,
                user_id uuid NOT NULL REFERENCES users (id),
                event_id uuid NOT NULL REFERENCES events (id),
                status text NOT NULL CHECK (status IN ('held', 'paid', 'cancelled', 'refunded', 'expired')),
                quantity integer NOT NULL CHECK (quantity > 0),
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX bookings_by_user ON bookings (user_id)",
            "CREATE INDEX bookings_paid_by_event ON bookings (event_id) WHERE status = 'paid'",
        ])
}
