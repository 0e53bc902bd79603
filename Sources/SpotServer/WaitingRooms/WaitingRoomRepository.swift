import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Waiting rooms and their lines, all in PostgreSQL: a place in line survives a restart and is
/// the same on every server replica. Places are numbered in commit order, so the line is first
/// come, first served; each account and each device holds at most one place per room.
struct WaitingRoomRepository: Sendable {
    let database: Database

    struct Settings: Sendable, Equatable {
        let opensAt: Date
        let admitPerMinute: Int
        let passMinutes: Int
    }

    /// The longest stretch one admission round makes up for (a server that was down, a
    /// round that ran late): longer gaps do not let a burst in at once.
    static let longestRound: TimeInterval = 2

    // MARK: The organizer's room

    /// Creates or changes the event's room.
    func configure(event: UUID, _ settings: Settings, now: Date, logger: Logger) async throws -> WaitingRoom {
        try await database.query(
            """
            INSERT INTO waiting_rooms (event_id, opens_at, admit_per_minute, pass_minutes, created_at, updated_at)
            VALUES (\(event), \(settings.opensAt), \(settings.admitPerMinute), \(settings.passMinutes), \(now), \(now))
            ON CONFLICT (event_id) DO UPDATE SET opens_at = EXCLUDED.opens_at, admit_per_minute = EXCLUDED.admit_per_minute,
                pass_minutes = EXCLUDED.pass_minutes, updated_at = EXCLUDED.updated_at
            """, logger: logger)
        guard let room = try await room(event: event, logger: logger) else { throw DomainError.notFound("Waiting room") }
        return room
    }

    /// Removes the event's room and its line: the sale is open to everyone again. False when there was none.
    func remove(event: UUID, logger: Logger) async throws -> Bool {
        let rows = try await database.query("DELETE FROM waiting_rooms WHERE event_id = \(event) RETURNING 1", logger: logger)
        for try await _ in rows { return true }
        return false
    }

    func room(event: UUID, logger: Logger) async throws -> WaitingRoom? {
        let rows = try await database.query(
            """
            SELECT r.opens_at, r.admit_per_minute, r.pass_minutes,
                   (SELECT count(*)::int FROM waiting_room_entries e WHERE e.event_id = r.event_id AND e.admitted_at IS NULL),
                   (SELECT count(*)::int FROM waiting_room_entries e WHERE e.event_id = r.event_id AND e.admitted_at IS NOT NULL)
            FROM waiting_rooms r WHERE r.event_id = \(event)
            """, logger: logger)
        for try await (opens, rate, minutes, waiting, admitted) in rows.decode((Date, Int, Int, Int, Int).self) {
            return WaitingRoom(
                eventID: event, opensAt: opens, admitPerMinute: rate, passMinutes: minutes, waiting: waiting, admitted: admitted)
        }
        return nil
    }

    // MARK: A buyer's place

    /// A buyer's place in line, and what it means now.
    struct Place: Sendable, Equatable {
        let joinedAt: Date
        let admittedAt: Date?
        /// Buyers still waiting ahead of this one.
        let ahead: Int
        let admitPerMinute: Int
        let passMinutes: Int

        var passExpiresAt: Date? { admittedAt?.addingTimeInterval(TimeInterval(passMinutes) * 60) }

        func status(at now: Date) -> WaitingRoomEntry.Status {
            guard let expires = passExpiresAt else { return .waiting }
            return now < expires ? .admitted : .expired
        }
    }

    /// Puts `user` (on `device`) in the event's line, or returns the place they already hold.
    /// A buyer whose pass has expired goes to the back. 404 without a room; 409 before it opens
    /// or when the device holds another account's place.
    func join(event: UUID, user: UUID, device: String, now: Date, logger: Logger) async throws -> Place {
        try await database.withTransaction(logger: logger) { connection in
            if let place = try await Self.place(event: event, user: user, on: connection, logger: logger) {
                guard place.status(at: now) == .expired else { return place }
                try await connection.query(
                    "DELETE FROM waiting_room_entries WHERE event_id = \(event) AND user_id = \(user)", logger: logger)
            }
            // The next number in line, under the room's row lock: numbers follow commit order, so
            // nobody is let in ahead of an earlier arrival whose join had not committed yet.
            let rooms = try await connection.query(
                "UPDATE waiting_rooms SET arrivals = arrivals + 1 WHERE event_id = \(event) RETURNING opens_at, arrivals",
                logger: logger)
            var room: (opensAt: Date, arrival: Int64)?
            for try await row in rooms.decode((Date, Int64).self) { room = row }
            guard let room else { throw DomainError.notFound("Waiting room") }
            guard room.opensAt <= now else {
                throw DomainError(
                    .conflict, .waitingRoomNotOpen, "The waiting room opens at \(room.opensAt.formatted(.iso8601)).",
                    fields: ["opens_at": room.opensAt.formatted(.iso8601)])
            }
            let inserted = try await connection.query(
                """
                INSERT INTO waiting_room_entries (event_id, arrival, user_id, device, joined_at)
                VALUES (\(event), \(room.arrival), \(user), \(device), \(now))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger)
            var joined = false
            for try await _ in inserted { joined = true }
            guard joined else {
                // The same account joining twice at once waits for the first and reads its place;
                // otherwise the device is another account's.
                if let place = try await Self.place(event: event, user: user, on: connection, logger: logger) { return place }
                throw DomainError.conflict(
                    "This device already holds a place in this line for another account.", code: .waitingRoomDeviceTaken)
            }
            guard let place = try await Self.place(event: event, user: user, on: connection, logger: logger) else {
                throw InternalInconsistency("a waiting room entry could not be read back")
            }
            return place
        }
    }

    /// The place `user` holds in the event's line, if any.
    func place(event: UUID, user: UUID, logger: Logger) async throws -> Place? {
        try await database.withConnection(logger: logger) { connection in
            try await Self.place(event: event, user: user, on: connection, logger: logger)
        }
    }

    private static func place(event: UUID, user: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Place? {
        let rows = try await connection.query(
            """
            SELECT e.joined_at, e.admitted_at, r.admit_per_minute, r.pass_minutes,
                   CASE WHEN e.admitted_at IS NULL THEN
                       (SELECT count(*)::int FROM waiting_room_entries w
                        WHERE w.event_id = e.event_id AND w.admitted_at IS NULL AND w.arrival < e.arrival)
                   ELSE 0 END
            FROM waiting_room_entries e JOIN waiting_rooms r ON r.event_id = e.event_id
            WHERE e.event_id = \(event) AND e.user_id = \(user)
            """, logger: logger)
        for try await (joined, admitted, rate, minutes, ahead) in rows.decode((Date, Date?, Int, Int, Int).self) {
            return Place(joinedAt: joined, admittedAt: admitted, ahead: ahead, admitPerMinute: rate, passMinutes: minutes)
        }
        return nil
    }

    /// When the event's waiting room opens; nil when its sale has none. One key read, for pages
    /// every buyer loads (``room(event:logger:)`` also counts the line).
    func opening(event: UUID, logger: Logger) async throws -> Date? {
        let rows = try await database.query("SELECT opens_at FROM waiting_rooms WHERE event_id = \(event)", logger: logger)
        for try await opensAt in rows.decode(Date.self) { return opensAt }
        return nil
    }

    // MARK: Letting buyers in

    /// One admission round over every open room with buyers waiting: each lets in, in arrival
    /// order, what its rate allows for the time since its last round (or since its oldest
    /// waiting buyer joined, if later), at most ``longestRound`` of it; the fraction left over
    /// carries to the next round. A round holds each room's row lock (`NO KEY UPDATE`: buyers
    /// joining wait a moment for it, the key-share locks of their entries do not), so rounds of
    /// two replicas follow each other, the second finding next to no time to make up for.
    /// Returns how many buyers were let in.
    @discardableResult
    func admit(now: Date, logger: Logger) async throws -> Int {
        try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT r.event_id, r.admit_per_minute, r.carry,
                       greatest(coalesce(r.advanced_at, r.opens_at),
                                (SELECT min(joined_at) FROM waiting_room_entries e WHERE e.event_id = r.event_id AND e.admitted_at IS NULL))
                FROM waiting_rooms r
                WHERE r.opens_at <= \(now)
                  AND EXISTS (SELECT 1 FROM waiting_room_entries e WHERE e.event_id = r.event_id AND e.admitted_at IS NULL)
                ORDER BY r.event_id FOR NO KEY UPDATE OF r
                """, logger: logger)
            var rooms: [(event: UUID, rate: Int, carry: Double, since: Date)] = []
            for try await room in rows.decode((UUID, Int, Double, Date).self) { rooms.append(room) }
            var total = 0
            for room in rooms {
                let elapsed = min(max(0, now.timeIntervalSince(room.since)), Self.longestRound)
                let budget = room.carry + Double(room.rate) * elapsed / 60
                let allowed = Int(budget.rounded(.down))
                var admitted = 0
                if allowed > 0 {
                    let letIn = try await connection.query(
                        """
                        UPDATE waiting_room_entries SET admitted_at = \(now)
                        WHERE event_id = \(room.event) AND arrival IN (
                            SELECT arrival FROM waiting_room_entries WHERE event_id = \(room.event) AND admitted_at IS NULL
                            ORDER BY arrival LIMIT \(allowed))
                        RETURNING 1
                        """, logger: logger)
                    for try await _ in letIn { admitted += 1 }
                }
                // A line that emptied keeps no budget: buyers arriving later start from their own arrival.
                let carry = admitted < allowed ? 0 : budget - Double(allowed)
                try await connection.query(
                    "UPDATE waiting_rooms SET advanced_at = \(now), carry = \(carry) WHERE event_id = \(room.event)",
                    logger: logger)
                total += admitted
            }
            return total
        }
    }
}
