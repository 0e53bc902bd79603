extension Migrations {
    /// Events carry the currency of their price range beside its bounds, kept by the same
    /// trigger, so listing events (search, recommendations) reads it from the row instead of
    /// looking up ticket types for every match.
    static let eventPriceCurrency = Migration(
        version: 7, name: "event price currency",
        statements: [
            "ALTER TABLE events ADD COLUMN price_currency text",
            "UPDATE events e SET price_currency = (SELECT min(currency) FROM ticket_types t WHERE t.event_id = e.id)",
            """
            CREATE OR REPLACE FUNCTION ticket_types_price_range() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                target uuid;
            BEGIN
                IF TG_OP = 'DELETE' THEN target := OLD.event_id; ELSE target := NEW.event_id; END IF;
                UPDATE events SET
                    min_price_minor = (SELECT min(price_minor) FROM ticket_types WHERE event_id = target),
                    max_price_minor = (SELECT max(price_minor) FROM ticket_types WHERE event_id = target),
                    price_currency = (SELECT min(currency) FROM ticket_types WHERE event_id = target)
                WHERE id = target;
                RETURN NULL;
            END
            $$
            """,
            "DROP TRIGGER ticket_types_price_range ON ticket_types",
            """
            CREATE TRIGGER ticket_types_price_range AFTER INSERT OR UPDATE OF price_minor, currency OR DELETE ON ticket_types
            FOR EACH ROW EXECUTE FUNCTION ticket_types_price_range()
            """,
        ])
}
