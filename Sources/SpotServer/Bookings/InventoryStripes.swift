import Foundation
import Logging
import PostgresNIO
import SpotCore

/// A ticket type's online seats, split so concurrent holds do not queue on one row.
///
/// The type's row (`ticket_types`: `capacity`, `reserved`, `allotted`) is the **pool**. Seats
/// move from the pool into **stripes** (`ticket_type_stripes`) in chunks — counted in
/// `reserved` from then on, so `reserved + allotted <= capacity` still bounds everything — and
/// a hold takes its seats from one stripe, locking that stripe's row only. This is the escrow
/// idea of the node allotments, inside the server.
///
/// Taking `n` seats for a hold tries, in order, starting at the hold's own stripe (one its id
/// picks, so concurrent holds start at different stripes):
/// 1. the first stripe with `n` seats that no other transaction holds (`SKIP LOCKED`);
/// 2. the hold's stripe, topped up from the pool (a chunk of seats moves in);
/// 3. when the pool cannot top it up: every stripe and the pool, locked together, and the
///    seats gathered from all of them — so the last seats are sold exactly, and "sold out" is
///    answered only when the stripes and the pool together hold fewer than `n`.
///
/// Locks are always taken stripes first (in stripe order), then the pool, type by type in the
/// order the caller holds them, so holds, releases and allotment changes cannot deadlock. The
/// locks are `FOR NO KEY UPDATE`, as an UPDATE's own: the key-share lock a new stripe or
/// booking item takes on the type's row (its foreign key) neither waits for them nor, held by
/// two transactions that then lock the row, deadlocks them.
/// Seats given back (a cancelled or expired hold, a refund) return to the pool.
enum InventoryStripes {
    /// Stripes a type's seats are spread over: more than the concurrent holds of one type a
    /// server's connection pool lets through at once.
    static let count = 16

    /// The most seats that move from the pool into a stripe at once. Smaller chunks leave
    /// fewer seats out of the pool; larger ones lock the pool less often.
    static let chunk = 32

    /// Why `take` could not take the seats.
    enum Shortage: Error {
        /// The stripes and the pool hold `left` seats, fewer than asked for.
        case soldOut(left: Int)
    }

    /// The stripe a hold starts at: one of ``count``, from its id's last byte.
    static func stripe(for hold: UUID) -> Int16 {
        Int16(hold.uuid.15 % UInt8(count))
    }

    /// `$1` seats of type `$2` from the first stripe, counting from the hold's stripe `$3` of
    /// `$4`, that has them and that nobody holds.
    private enum TakeFromStripe: PreparedSQL {
        static let text = """
            UPDATE ticket_type_stripes SET seats = seats - $1
            WHERE (ticket_type_id, stripe) = (
                SELECT ticket_type_id, stripe FROM ticket_type_stripes
                WHERE ticket_type_id = $2 AND seats >= $1
                ORDER BY (stripe - $3 + $4) % $4 LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED)
              AND seats >= $1
            RETURNING seats
            """
    }

    /// Takes `quantity` seats of `ticketType` for the hold `hold` in the caller's transaction.
    static func take(
        _ quantity: Int, of ticketType: UUID, for hold: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let stripe = stripe(for: hold)
        // 1. The first stripe from the hold's own with enough seats that nobody holds.
        let taken = try await connection.execute(
            Prepared<TakeFromStripe>("\(quantity)\(ticketType)\(stripe)\(Int16(count))"), logger: logger)
        for try await _ in taken { return }

        // 2. The hold's stripe, topped up from the pool. If the pool cannot, the savepoint gives
        //    the stripe's lock back before step 3 locks every stripe in order.
        try await connection.query("SAVEPOINT inventory_stripe", logger: logger)
        try await connection.query(
            """
            INSERT INTO ticket_type_stripes (ticket_type_id, stripe, seats) VALUES (\(ticketType), \(stripe), 0)
            ON CONFLICT DO NOTHING
            """, logger: logger)
        let stripeRows = try await connection.query(
            "SELECT seats FROM ticket_type_stripes WHERE ticket_type_id = \(ticketType) AND stripe = \(stripe) FOR NO KEY UPDATE",
            logger: logger)
        var have = 0
        for try await seats in stripeRows.decode(Int.self) { have = seats }
        var moved: Int?
        if have >= quantity {
            moved = 0
        } else {
            let pool = try await connection.query(
                "SELECT capacity - reserved - allotted FROM ticket_types WHERE id = \(ticketType) FOR NO KEY UPDATE",
                logger: logger)
            var free = 0
            for try await value in pool.decode(Int.self) { free = value }
            if free + have >= quantity {
                let seats = min(free, max(quantity - have, chunk))
                try await connection.query(
                    "UPDATE ticket_types SET reserved = reserved + \(seats) WHERE id = \(ticketType)", logger: logger)
                moved = seats
            }
        }
        if let moved {
            try await connection.query(
                """
                UPDATE ticket_type_stripes SET seats = \(have + moved - quantity)
                WHERE ticket_type_id = \(ticketType) AND stripe = \(stripe)
                """, logger: logger)
            try await connection.query("RELEASE SAVEPOINT inventory_stripe", logger: logger)
            return
        }
        try await connection.query("ROLLBACK TO SAVEPOINT inventory_stripe", logger: logger)

        // 3. Gather from every stripe and the pool, all locked.
        let (stripes, free) = try await lockAll(ticketType, on: connection, logger: logger)
        let total = stripes.reduce(free) { $0 + $1.seats }
        guard total >= quantity else { throw Shortage.soldOut(left: total) }
        let fromPool = min(free, quantity)
        if fromPool > 0 {
            try await connection.query(
                "UPDATE ticket_types SET reserved = reserved + \(fromPool) WHERE id = \(ticketType)", logger: logger)
        }
        var missing = quantity - fromPool
        var changed: [(stripe: Int16, seats: Int)] = []
        for stripe in stripes where missing > 0 && stripe.seats > 0 {
            let used = min(stripe.seats, missing)
            missing -= used
            changed.append((stripe.stripe, stripe.seats - used))
        }
        try await setSeats(changed, of: ticketType, on: connection, logger: logger)
    }

    /// Moves every seat of `ticketType`'s stripes back into the pool (before the pool must
    /// show all of them: an allotment to a node, a smaller capacity).
    static func drain(_ ticketType: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        let (stripes, _) = try await lockAll(ticketType, on: connection, logger: logger)
        let seats = stripes.reduce(0) { $0 + $1.seats }
        guard seats > 0 else { return }
        try await connection.query(
            "UPDATE ticket_types SET reserved = reserved - \(seats) WHERE id = \(ticketType)", logger: logger)
        try await setSeats(stripes.filter { $0.seats > 0 }.map { ($0.stripe, 0) }, of: ticketType, on: connection, logger: logger)
    }

    /// Locks every stripe of the type in order, then the pool; their seats and the pool's free seats.
    private static func lockAll(
        _ ticketType: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> (stripes: [(stripe: Int16, seats: Int)], free: Int) {
        let rows = try await connection.query(
            """
            SELECT stripe, seats FROM ticket_type_stripes WHERE ticket_type_id = \(ticketType) ORDER BY stripe FOR NO KEY UPDATE
            """, logger: logger)
        var stripes: [(stripe: Int16, seats: Int)] = []
        for try await (stripe, seats) in rows.decode((Int16, Int).self) { stripes.append((stripe, seats)) }
        let pool = try await connection.query(
            "SELECT capacity - reserved - allotted FROM ticket_types WHERE id = \(ticketType) FOR NO KEY UPDATE", logger: logger)
        var free = 0
        for try await value in pool.decode(Int.self) { free = value }
        return (stripes, free)
    }

    private static func setSeats(
        _ stripes: [(stripe: Int16, seats: Int)], of ticketType: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !stripes.isEmpty else { return }
        try await connection.query(
            """
            UPDATE ticket_type_stripes s SET seats = v.seats
            FROM unnest(\(stripes.map(\.stripe))::smallint[], \(stripes.map(\.seats))::int[]) AS v(stripe, seats)
            WHERE s.ticket_type_id = \(ticketType) AND s.stripe = v.stripe
            """, logger: logger)
    }
}
