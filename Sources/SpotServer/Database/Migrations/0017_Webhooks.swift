extension Migrations {
    /// Webhooks: organizers' endpoints and the deliveries queued for them. Triggers queue a
    /// delivery per subscribed endpoint in the transaction of the change (statement-level on the
    /// tables a node's push fills in bulk); the event id is the changed row's (a reissue's is
    /// derived from the ticket and its new version), so a receiver can drop a repeat.
    static let webhooks = Migration(
        version: 17, name: "webhooks",
        statements: [
            """
            CREATE TABLE webhook_endpoints (
                id uuid PRIMARY KEY,
                organizer_id uuid NOT NULL REFERENCES organizers (id),
                url text NOT NULL,
                event_types text[] NOT NULL CHECK (cardinality(event_types) > 0),
                secret text NOT NULL,
                created_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX webhook_endpoints_by_organizer ON webhook_endpoints (organizer_id)",
            """
            CREATE TABLE webhook_deliveries (
                id uuid PRIMARY KEY,
                endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
                event_id uuid NOT NULL,
                type text NOT NULL,
                payload text NOT NULL,
                status text NOT NULL CHECK (status IN ('queued', 'sending', 'failed', 'sent', 'dead')),
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at timestamptz NOT NULL,
                locked_until timestamptz,
                last_error text,
                response_status integer,
                created_at timestamptz NOT NULL,
                delivered_at timestamptz
            )
            """,
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('queued', 'failed', 'sending')",
            "CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at)",
            // One delivery per subscribed endpoint of `organizer` for each (event id, data) of `changes`.
            """
            CREATE FUNCTION webhook_enqueue(organizer uuid, kind text, event_id uuid, data jsonb) RETURNS void
            LANGUAGE sql AS $$
                INSERT INTO webhook_deliveries (id, endpoint_id, event_id, type, payload, status, next_attempt_at, created_at)
                SELECT gen_random_uuid(), w.id, event_id, kind,
                       jsonb_build_object('id', event_id, 'type', kind,
                                          'created_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                          'data', data)::text,
                       'queued', now(), now()
                FROM webhook_endpoints w WHERE w.organizer_id = organizer AND kind = ANY (w.event_types)
            $$
            """,
            """
            CREATE FUNCTION webhook_scans() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM webhook_enqueue(e.organizer_id, '\(WebhookEventType.checkinCreated.rawValue)', i.id, jsonb_build_object(
                    'scan_id', i.id, 'event_id', i.event_id, 'ticket_id', i.ticket_id, 'issue_version', i.issue_version,
                    'direction', i.direction, 'gate', i.gate, 'node_id', i.node_id,
                    'online', i.node_id = '\(CheckInService.serverNodeID.lowercasedText)', 'verdict', i.verdict,
                    'scanned_at', to_char(i.scanned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
                FROM inserted i JOIN events e ON e.id = i.event_id
                WHERE EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.organizer_id = e.organizer_id);
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER scans_webhooks AFTER INSERT ON scans REFERENCING NEW TABLE AS inserted
            FOR EACH STATEMENT EXECUTE FUNCTION webhook_scans()
            """,
            """
            CREATE FUNCTION webhook_door_sales() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM webhook_enqueue(e.organizer_id, '\(WebhookEventType.doorSaleCreated.rawValue)', i.id, jsonb_build_object(
                    'sale_id', i.id, 'event_id', i.event_id, 'node_id', i.node_id, 'ticket_type_id', i.ticket_type_id,
                    'quantity', i.quantity, 'payment_method', i.payment_method, 'amount_minor', i.amount_minor,
                    'currency', i.currency, 'within_allotment', i.within_allotment,
                    'recorded_at', to_char(i.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
                FROM inserted i JOIN events e ON e.id = i.event_id
                WHERE EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.organizer_id = e.organizer_id);
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER door_sales_webhooks AFTER INSERT ON door_sales REFERENCING NEW TABLE AS inserted
            FOR EACH STATEMENT EXECUTE FUNCTION webhook_door_sales()
            """,
            """
            CREATE FUNCTION webhook_conflicts() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM webhook_enqueue(e.organizer_id, '\(WebhookEventType.conflictCreated.rawValue)', i.id, jsonb_build_object(
                    'conflict_id', i.id, 'event_id', i.event_id, 'kind', i.kind, 'node_id', i.node_id,
                    'ticket_id', i.ticket_id, 'scan_id', i.scan_id, 'sale_id', i.sale_id,
                    'admitted_scan_id', i.admitted_scan_id,
                    'created_at', to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
                FROM inserted i JOIN events e ON e.id = i.event_id
                WHERE EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.organizer_id = e.organizer_id);
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER conflicts_webhooks AFTER INSERT ON conflicts REFERENCING NEW TABLE AS inserted
            FOR EACH STATEMENT EXECUTE FUNCTION webhook_conflicts()
            """,
            """
            CREATE FUNCTION webhook_booking_paid() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM webhook_enqueue(e.organizer_id, '\(WebhookEventType.bookingPaid.rawValue)', NEW.id, jsonb_build_object(
                    'booking_id', NEW.id, 'event_id', NEW.event_id, 'quantity', NEW.quantity, 'total_minor', NEW.total_minor,
                    'currency', NEW.currency, 'buyer_email', u.email,
                    'paid_at', to_char(coalesce(NEW.paid_at, now()) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
                FROM events e, users u WHERE e.id = NEW.event_id AND u.id = NEW.user_id;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER bookings_paid_webhooks AFTER UPDATE OF status ON bookings
            FOR EACH ROW WHEN (OLD.status <> 'paid' AND NEW.status = 'paid') EXECUTE FUNCTION webhook_booking_paid()
            """,
            """
            CREATE FUNCTION webhook_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                kind text := CASE WHEN NEW.issue_version > OLD.issue_version THEN '\(WebhookEventType.ticketReissued.rawValue)'
                                  ELSE '\(WebhookEventType.ticketRefunded.rawValue)' END;
            BEGIN
                PERFORM webhook_enqueue(e.organizer_id, kind,
                    CASE WHEN kind = '\(WebhookEventType.ticketRefunded.rawValue)' THEN NEW.id
                         ELSE md5(NEW.id::text || ':' || NEW.issue_version)::uuid END,
                    jsonb_build_object('ticket_id', NEW.id, 'booking_id', NEW.booking_id, 'event_id', NEW.event_id,
                                       'ticket_type_id', NEW.ticket_type_id, 'issue_version', NEW.issue_version,
                                       'status', NEW.status, 'revoked_reason', NEW.revoked_reason))
                FROM events e WHERE e.id = NEW.event_id;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER tickets_webhooks AFTER UPDATE OF status, issue_version ON tickets
            FOR EACH ROW WHEN (NEW.issue_version > OLD.issue_version
                               OR (OLD.status = 'valid' AND NEW.status = 'revoked' AND NEW.revoked_reason = 'refunded'))
            EXECUTE FUNCTION webhook_tickets()
            """,
            """
            CREATE FUNCTION webhook_event_cancelled() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM webhook_enqueue(NEW.organizer_id, '\(WebhookEventType.eventCancelled.rawValue)', NEW.id, jsonb_build_object(
                    'event_id', NEW.id, 'title', NEW.title,
                    'cancelled_at', to_char(coalesce(NEW.cancelled_at, now()) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER events_cancelled_webhooks AFTER UPDATE OF status ON events
            FOR EACH ROW WHEN (OLD.status <> 'cancelled' AND NEW.status = 'cancelled') EXECUTE FUNCTION webhook_event_cancelled()
            """,
        ])
}
