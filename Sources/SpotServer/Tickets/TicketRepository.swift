import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Issues, lists, re-issues and revokes tickets. Issuing and revoking happen inside the
/// caller's transaction (payment, refund, cancellation), so a ticket exists exactly when
/// its booking is paid and a revocation exactly when its refund is recorded.
struct TicketRepository: Sendable {
    let database: Database

    static let columns = """
        t.id, t.booking_id, t.event_id, t.ticket_type_id, tt.name, e.title, e.starts_at, v.name, t.price_minor,
        tt.currency, t.issue_version, t.key_id, t.payload, t.status, t.revoked_reason, t.issued_at
        """
    static let joins = """
        FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id JOIN events e ON e.id = t.event_id
        JOIN venues v ON v.id = e.venue_id
        """

    static func decode(_ rows: PostgresRowSequence) async throws -> [Ticket] {
        var tickets: [Ticket] = []
        for try await row in rows { tickets.append(try ticket(row)) }
        return tickets
    }

    /// A ticket from a row of ``columns``.
    static func ticket(_ row: PostgresRow) throws -> Ticket {
        let (id, booking, event, type, typeName, title, starts, venue, price, currency, version, key, payload, status, reason,
             issued) = try row.decode(
            (UUID, UUID, UUID, UUID, String, String, Date, String, Int64, String, Int, String, String, String, String?, Date).self)
        return Ticket(
            id: id, bookingID: booking, eventID: event, ticketTypeID: type, ticketTypeName: typeName, eventTitle: title,
            startsAt: starts, venueName: venue, priceMinor: price, currency: currency, issueVersion: version, keyID: key,
            payload: payload, status: status, revokedReason: reason, issuedAt: issued)
    }

    /// Signs and stores one ticket per seat of each of `bookings`, with its organizer's active
    /// key, in one statement; each booking's tickets' ids and texts.
    static func issue(
        bookings: [UUID], on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws -> [UUID: [(id: UUID, payload: String)]] {
        guard !bookings.isEmpty else { return [:] }
        // Unprepared: a prepared statement's generic plan for `= ANY($1)` may read the whole table.
        let rows = try await connection.query(
            """
            SELECT b.id, b.user_id, b.event_id, e.organizer_id, e.ends_at, i.ticket_type_id, i.quantity, i.unit_price_minor
            FROM bookings b JOIN events e ON e.id = b.event_id JOIN booking_items i ON i.booking_id = b.id
            WHERE b.id = ANY(\(bookings)) ORDER BY b.id, i.ticket_type_id
            """, logger: logger)
        var seats: [(booking: UUID, user: UUID, event: UUID, organizer: UUID, endsAt: Date, type: UUID, price: Int64)] = []
        for try await (booking, user, event, organizer, endsAt, type, quantity, price) in rows.decode(
            (UUID, UUID, UUID, UUID, Date, UUID, Int, Int64).self)
        {
            seats += Array(repeating: (booking, user, event, organizer, endsAt, type, price), count: quantity)
        }
        var keys: [UUID: SigningKey] = [:]
        for organizer in Set(seats.map(\.organizer)).sorted(by: { $0.uuidString < $1.uuidString }) {
            keys[organizer] = try await IssuerKeyRepository.activeKey(organizer: organizer, on: connection, now: now, logger: logger)
        }
        var issued: [(seat: Int, id: UUID, keyID: String, payload: String)] = []
        for (index, seat) in seats.enumerated() {
            let key = keys[seat.organizer]!
            let id = UUID.now(now)
            let signed = try SignedTicket.sign(
                TicketClaims(
                    ticketID: id, eventID: seat.event, ticketTypeID: seat.type, issueVersion: 1,
                    validUntil: seat.endsAt.addingTimeInterval(TicketClaims.validityAfterEventEnd)),
                with: key)
            issued.append((index, id, key.keyID.hex, signed.text))
        }
        guard !issued.isEmpty else { return [:] }
        try await connection.query(
            """
            INSERT INTO tickets (id, booking_id, event_id, ticket_type_id, owner_user_id, price_minor, issue_version,
                                 key_id, payload, status, issued_at)
            SELECT id, booking, event, type, owner, price, 1, key_id, payload, 'valid', \(now)
            FROM unnest(\(issued.map(\.id))::uuid[], \(issued.map { seats[$0.seat].booking })::uuid[],
                        \(issued.map { seats[$0.seat].event })::uuid[], \(issued.map { seats[$0.seat].type })::uuid[],
                        \(issued.map { seats[$0.seat].user })::uuid[], \(issued.map { seats[$0.seat].price })::int8[],
                        \(issued.map(\.keyID))::text[], \(issued.map(\.payload))::text[])
                AS t(id, booking, event, type, owner, price, key_id, payload)
            """, logger: logger)
        return Dictionary(grouping: issued, by: { seats[$0.seat].booking }).mapValues { $0.map { ($0.id, $0.payload) } }
    }

    /// Revokes valid tickets and appends their revocations to the feed.
    static func revoke(
        _ tickets: [UUID], reason: RevocationReason, on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws {
        guard !tickets.isEmpty else { return }
        try await connection.query(
            """
            WITH revoked AS (
                UPDATE tickets SET status = 'revoked', revoked_reason = \(reason.rawValue), revoked_at = \(now)
                WHERE id = ANY(\(tickets)) AND status = 'valid'
                RETURNING id, issue_version, event_id
            )
            INSERT INTO revocations (ticket_id, issue_version, event_id, reason, created_at)
            SELECT id, issue_version, event_id, \(reason.rawValue), \(now) FROM revoked
            """, logger: logger)
    }

    func wallet(user: UUID, logger: Logger) async throws -> [Ticket] {
        try await Self.decode(database.query(
            """
            SELECT \(unescaped: Self.columns) \(unescaped: Self.joins)
            WHERE t.owner_user_id = \(user) ORDER BY e.starts_at, t.id
            """, logger: logger))
    }

    func ticket(id: UUID, logger: Logger) async throws -> Ticket? {
        try await Self.decode(database.query(
            "SELECT \(unescaped: Self.columns) \(unescaped: Self.joins) WHERE t.id = \(id)", logger: logger)
        ).first
    }

    /// The ticket, if `identity` holds it, organizes its event, or is an admin; else 404.
    func ticket(id: UUID, visibleTo identity: Identity, logger: Logger) async throws -> Ticket {
        let rows = try await database.query(
            """
            SELECT t.owner_user_id, o.user_id FROM tickets t JOIN events e ON e.id = t.event_id
            JOIN organizers o ON o.id = e.organizer_id WHERE t.id = \(id)
            """, logger: logger)
        var allowed = false
        for try await (owner, organizerUser) in rows.decode((UUID, UUID).self) {
            allowed = owner == identity.userID || organizerUser == identity.userID || identity.role == .admin
        }
        guard allowed, let ticket = try await ticket(id: id, logger: logger) else { throw DomainError.notFound("Ticket") }
        return ticket
    }

    func tickets(booking: UUID, logger: Logger) async throws -> [Ticket] {
        try await tickets(bookings: [booking], logger: logger)[booking] ?? []
    }

    /// The tickets of each of `bookings` (those that have any), in one statement.
    func tickets(bookings: [UUID], logger: Logger) async throws -> [UUID: [Ticket]] {
        guard !bookings.isEmpty else { return [:] }
        // Unprepared: a prepared statement's generic plan for `= ANY($1)` may read the whole table.
        let rows = try await database.query(
            "SELECT \(unescaped: Self.columns) \(unescaped: Self.joins) WHERE t.booking_id = ANY(\(bookings)) ORDER BY t.id",
            logger: logger)
        return Dictionary(grouping: try await Self.decode(rows), by: \.bookingID)
    }

    /// Issues the next version of a valid ticket, signed with the organizer's current key;
    /// the old version is revoked (`reissued`), so a copy of it scans as `superseded`.
    func reissue(_ ticketID: UUID, now: Date, logger: Logger) async throws -> Ticket {
        try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT t.issue_version, t.event_id, t.ticket_type_id, t.status, e.organizer_id, e.ends_at
                FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = \(ticketID) FOR UPDATE OF t
                """, logger: logger)
            var found: (Int, UUID, UUID, String, UUID, Date)?
            for try await row in rows.decode((Int, UUID, UUID, String, UUID, Date).self) { found = row }
            guard let (version, event, type, status, organizer, endsAt) = found else { throw DomainError.notFound("Ticket") }
            guard status == "valid" else { throw DomainError.conflict("A revoked ticket cannot be re-issued.", code: .ticketRevoked) }
            let key = try await IssuerKeyRepository.activeKey(organizer: organizer, on: connection, now: now, logger: logger)
            let signed = try SignedTicket.sign(
                TicketClaims(
                    ticketID: ticketID, eventID: event, ticketTypeID: type, issueVersion: UInt32(version + 1),
                    validUntil: endsAt.addingTimeInterval(TicketClaims.validityAfterEventEnd)),
                with: key)
            try await connection.query(
                """
                INSERT INTO revocations (ticket_id, issue_version, event_id, reason, created_at)
                VALUES (\(ticketID), \(version), \(event), \(RevocationReason.reissued.rawValue), \(now))
                """, logger: logger)
            try await connection.query(
                """
                UPDATE tickets SET issue_version = \(version + 1), key_id = \(key.keyID.hex), payload = \(signed.text),
                    issued_at = \(now)
                WHERE id = \(ticketID)
                """, logger: logger)
        }
        guard let ticket = try await ticket(id: ticketID, logger: logger) else { throw DomainError.notFound("Ticket") }
        return ticket
    }
}
