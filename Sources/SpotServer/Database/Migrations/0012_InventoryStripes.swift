extension Migrations {
    /// Striped inventory (see `InventoryStripes`): a ticket type's online seats move from its row
    /// (the pool) into stripes in chunks, and holds take seats from one stripe, so concurrent
    /// buyers of one type no longer queue on one row lock. `ticket_types.reserved` now counts
    /// the seats taken out of the pool — held or sold online, or waiting in a stripe — so
    /// `reserved + allotted <= capacity` still bounds everything; `ticket_type_inventory` is the
    /// one definition of what is held or sold and what is still on sale.
    static let inventoryStripes = Migration(
        version: 12, name: "inventory stripes",
        statements: [
            """
            CREATE TABLE ticket_type_stripes (
                ticket_type_id uuid NOT NULL REFERENCES ticket_types (id) ON DELETE CASCADE,
                stripe smallint NOT NULL CHECK (stripe >= 0),
                seats integer NOT NULL CHECK (seats >= 0),
                PRIMARY KEY (ticket_type_id, stripe)
            )
            """,
            """
            CREATE VIEW ticket_type_inventory AS
            SELECT t.id AS ticket_type_id, t.event_id, t.capacity, t.allotted,
                   t.reserved - coalesce(s.seats, 0) AS held_or_sold,
                   t.capacity - t.reserved - t.allotted + coalesce(s.seats, 0) AS available
            FROM ticket_types t
            LEFT JOIN (SELECT ticket_type_id, sum(seats)::int AS seats FROM ticket_type_stripes GROUP BY ticket_type_id) s
                ON s.ticket_type_id = t.id
            """,
        ])
}
