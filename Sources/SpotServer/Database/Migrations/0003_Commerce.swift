extension Migrations {
    /// Selling tickets: inventory counters, bookings with holds and items, payment attempts
    /// and transactions, idempotency keys, the organizers' signing keys, tickets, the
    /// commit-ordered revocation feed, scans, staff, notifications with their outbox,
    /// background jobs, and the simulation gateway's and providers' own records.
    static let commerce = Migration(
        version: 3, name: "bookings, payments, tickets, notifications",
        statements: [
            // MARK: Inventory
            """
            ALTER TABLE ticket_types
                ADD COLUMN reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
                ADD COLUMN max_per_order integer NOT NULL DEFAULT 10 CHECK (max_per_order BETWEEN 1 AND 100),
                ADD CONSTRAINT ticket_types_never_oversold CHECK (reserved <= capacity)
            """,
            "ALTER TABLE users ADD COLUMN phone text",

            // MARK: Bookings
            """
            ALTER TABLE bookings
                ADD COLUMN expires_at timestamptz,
                ADD COLUMN total_minor bigint NOT NULL DEFAULT 0 CHECK (total_minor >= 0),
                ADD COLUMN currency text NOT NULL DEFAULT 'EUR',
                ADD COLUMN paid_at timestamptz,
                ADD COLUMN closed_at timestamptz,
                ADD COLUMN refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
                ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()
            """,
            "CREATE INDEX bookings_held_by_expiry ON bookings (expires_at) WHERE status = 'held'",
            """
            CREATE TABLE booking_items (
                booking_id uuid NOT NULL REFERENCES bookings (id),
                ticket_type_id uuid NOT NULL REFERENCES ticket_types (id),
                quantity integer NOT NULL CHECK (quantity > 0),
                unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
                PRIMARY KEY (booking_id, ticket_type_id)
            )
            """,

            // MARK: Payments
            """
            CREATE TABLE payment_attempts (
                id uuid PRIMARY KEY,
                booking_id uuid NOT NULL REFERENCES bookings (id),
                gateway_key text NOT NULL UNIQUE,
                amount_minor bigint NOT NULL,
                currency text NOT NULL,
                card_brand text NOT NULL,
                card_last4 text NOT NULL,
                status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'declined', 'failed')),
                failure_code text,
                gateway_reference text,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX payment_attempts_by_booking ON payment_attempts (booking_id)",
            """
            CREATE TABLE payment_transactions (
                id uuid PRIMARY KEY,
                booking_id uuid NOT NULL REFERENCES bookings (id),
                user_id uuid NOT NULL REFERENCES users (id),
                organizer_id uuid NOT NULL REFERENCES organizers (id),
                kind text NOT NULL CHECK (kind IN ('charge', 'refund')),
                amount_minor bigint NOT NULL CHECK (amount_minor > 0),
                currency text NOT NULL,
                gateway_reference text NOT NULL,
                created_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX payment_transactions_by_user ON payment_transactions (user_id, created_at)",
            "CREATE INDEX payment_transactions_by_organizer ON payment_transactions (organizer_id, created_at)",
            """
            CREATE TABLE idempotency_keys (
                user_id uuid NOT NULL REFERENCES users (id),
                key text NOT NULL,
                request_hash text NOT NULL,
                status_code integer,
                response text,
                created_at timestamptz NOT NULL,
                PRIMARY KEY (user_id, key)
            )
            """,

            // MARK: Keys and tickets
            """
            CREATE TABLE organizer_keys (
                key_id text PRIMARY KEY,
                organizer_id uuid NOT NULL REFERENCES organizers (id),
                public_key bytea NOT NULL,
                seed bytea NOT NULL,
                status text NOT NULL CHECK (status IN ('active', 'retired')),
                verifies_until timestamptz,
                created_at timestamptz NOT NULL,
                retired_at timestamptz,
                CHECK (status = 'active' OR verifies_until IS NOT NULL)
            )
            """,
            "CREATE UNIQUE INDEX organizer_keys_one_active ON organizer_keys (organizer_id) WHERE status = 'active'",
            """
            CREATE TABLE tickets (
                id uuid PRIMARY KEY,
                booking_id uuid NOT NULL REFERENCES bookings (id),
                event_id uuid NOT NULL REFERENCES events (id),
                ticket_type_id uuid NOT NULL REFERENCES ticket_types (id),
                owner_user_id uuid NOT NULL REFERENCES users (id),
                price_minor bigint NOT NULL,
                issue_version integer NOT NULL CHECK (issue_version >= 1),
                key_id text NOT NULL REFERENCES organizer_keys (key_id),
                payload text NOT NULL,
                status text NOT NULL CHECK (status IN ('valid', 'revoked')),
                revoked_reason text,
                issued_at timestamptz NOT NULL,
                revoked_at timestamptz
            )
            """,
            "CREATE INDEX tickets_by_owner ON tickets (owner_user_id, issued_at)",
            "CREATE INDEX tickets_by_booking ON tickets (booking_id)",
            "CREATE INDEX tickets_by_event ON tickets (event_id)",
            // The revocation feed. Rows are read in commit order: a reader only takes rows whose
            // transaction id is below the oldest transaction still running (pg_snapshot_xmin),
            // so a slow transaction that commits late can never be skipped.
            """
            CREATE TABLE revocations (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                ticket_id uuid NOT NULL,
                issue_version integer NOT NULL,
                event_id uuid NOT NULL REFERENCES events (id),
                reason text NOT NULL CHECK (reason IN ('refunded', 'cancelled', 'reissued', 'voided')),
                created_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX revocations_in_commit_order ON revocations (txid, id)",
            "CREATE INDEX revocations_by_ticket ON revocations (ticket_id)",
            """
            CREATE TABLE scans (
                id uuid PRIMARY KEY,
                txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                ticket_id uuid NOT NULL,
                issue_version integer NOT NULL,
                event_id uuid NOT NULL REFERENCES events (id),
                direction text NOT NULL CHECK (direction IN ('entry', 'exit')),
                gate text NOT NULL,
                node_id uuid NOT NULL,
                hlc bigint NOT NULL,
                scanned_at timestamptz NOT NULL,
                verdict text NOT NULL,
                recorded_by uuid REFERENCES users (id)
            )
            """,
            "CREATE INDEX scans_by_ticket ON scans (ticket_id, hlc)",
            "CREATE INDEX scans_by_event ON scans (event_id, scanned_at)",
            """
            CREATE TABLE staff_assignments (
                user_id uuid PRIMARY KEY REFERENCES users (id),
                organizer_id uuid NOT NULL REFERENCES organizers (id),
                created_at timestamptz NOT NULL
            )
            """,

            // MARK: Notifications
            """
            CREATE TABLE notification_preferences (
                user_id uuid NOT NULL REFERENCES users (id),
                channel text NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
                kind text NOT NULL,
                enabled boolean NOT NULL,
                PRIMARY KEY (user_id, channel, kind)
            )
            """,
            """
            CREATE TABLE notifications (
                id uuid PRIMARY KEY,
                user_id uuid NOT NULL REFERENCES users (id),
                channel text NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
                kind text NOT NULL,
                recipient text NOT NULL,
                subject text NOT NULL,
                body text NOT NULL,
                status text NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'dead')),
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at timestamptz NOT NULL,
                locked_until timestamptz,
                last_error text,
                provider_message_id text,
                created_at timestamptz NOT NULL,
                sent_at timestamptz
            )
            """,
            "CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status IN ('queued', 'failed', 'sending')",
            "CREATE INDEX notifications_by_user ON notifications (user_id, created_at)",
            """
            CREATE TABLE simulated_deliveries (
                notification_id uuid PRIMARY KEY,
                channel text NOT NULL,
                recipient text NOT NULL,
                subject text NOT NULL,
                body text NOT NULL,
                provider_message_id text NOT NULL,
                delivered_at timestamptz NOT NULL,
                -- How many times the provider was asked: more than 1 would be a duplicate send.
                deliveries integer NOT NULL DEFAULT 1
            )
            """,

            // MARK: Simulation gateway
            """
            CREATE TABLE simulated_gateway_operations (
                idempotency_key text PRIMARY KEY,
                kind text NOT NULL CHECK (kind IN ('charge', 'refund')),
                reference text NOT NULL UNIQUE,
                charge_reference text,
                amount_minor bigint NOT NULL,
                currency text NOT NULL,
                outcome text NOT NULL,
                created_at timestamptz NOT NULL
            )
            """,

            // MARK: Background jobs
            """
            CREATE TABLE jobs (
                id uuid PRIMARY KEY,
                kind text NOT NULL,
                payload text NOT NULL,
                status text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead')),
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at timestamptz NOT NULL,
                locked_until timestamptz,
                last_error text,
                created_at timestamptz NOT NULL,
                finished_at timestamptz
            )
            """,
            "CREATE INDEX jobs_due ON jobs (next_attempt_at) WHERE status IN ('queued', 'running')",
        ])
}
