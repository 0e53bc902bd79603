extension Migrations {
    /// CSV exports read an event's orders, tickets and door sales oldest first in pages keyed
    /// by (time, id): these indexes let each page start where the last stopped instead of
    /// sorting the whole event again. They replace the event-only indexes they extend.
    static let exportOrder = Migration(
        version: 15, name: "export order",
        statements: [
            "CREATE INDEX bookings_by_event_created ON bookings (event_id, created_at, id)",
            "CREATE INDEX tickets_by_event_issued ON tickets (event_id, issued_at, id)",
            "DROP INDEX tickets_by_event",
            "CREATE INDEX door_sales_by_event_recorded ON door_sales (event_id, recorded_at, id)",
            "DROP INDEX door_sales_by_event",
        ])
}
