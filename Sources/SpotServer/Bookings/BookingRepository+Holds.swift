import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Holds that arrive together are placed together (``Batcher``), as online check-ins are: one
/// transaction reads their events and ticket types in one statement each, checks each hold on
/// its own, takes the seats of all of them type by type (``InventoryStripes``), and inserts
/// every booking and every item in one statement each; one more reads the bookings back. A
/// hold that breaks a rule gets its own error and the others go on.
///
/// When a type has fewer seats left than the batch asks for, its holds take their seats one
/// after the other in arrival order — as if they had come alone — so the last seats are sold
/// exactly and "sold out" means what it says.
extension BookingRepository {
    /// At most this many holds are placed in one batch.
    static let holdBatchCapacity = 64
    /// One batch at a time (per server process): while it runs the next batch gathers.
    static let concurrentHoldBatches = 1

    /// A hold waiting for its batch.
    struct PendingHold: Sendable {
        let id: UUID
        let request: Request
        let user: UUID
        /// The buyer brought a valid pass of the event's waiting room.
        let admittedByWaitingRoom: Bool
        let now: Date
        let expiresAt: Date
    }

    /// An event's sale, as a hold checks it.
    struct Sale: Sendable {
        let status: String
        let endsAt: Date
        let hasWaitingRoom: Bool
    }

    /// A ticket type's terms, as a hold checks them.
    struct Terms: Sendable {
        let eventID: UUID
        let priceMinor: Int64
        let currency: String
        let maxPerOrder: Int
        let salesStart: Date?
        let salesEnd: Date?
    }

    /// A hold that may take its seats: its items priced, in the order their seats are taken.
    struct PricedHold: Sendable {
        let hold: PendingHold
        let items: [(ticketTypeID: UUID, quantity: Int, price: Int64)]
        let quantity: Int
        let total: Int64
        let currency: String
    }

    /// `hold`'s items priced, or why it may not be placed: the event must be on sale (and let
    /// the buyer in, behind a waiting room), each type sold for it now, in one currency.
    static func price(_ hold: PendingHold, sales: [UUID: Sale], terms: [UUID: Terms]) -> Result<PricedHold, DomainError> {
        let request = hold.request
        guard let sale = sales[request.eventID], sale.status != "draft" else { return .failure(.notFound("Event")) }
        guard sale.status == "published", sale.endsAt > hold.now else {
            return .failure(.conflict("This event is not on sale.", code: .eventNotOnSale))
        }
        guard !sale.hasWaitingRoom || hold.admittedByWaitingRoom else {
            return .failure(DomainError(
                .forbidden, .waitingRoomPassRequired,
                "This sale has a waiting room: join the line, and book with the pass it gives you when it lets you in."))
        }
        var items: [(ticketTypeID: UUID, quantity: Int, price: Int64)] = []
        var currencies = Set<String>()
        for item in request.items.sorted(by: { $0.ticketTypeID.uuidString < $1.ticketTypeID.uuidString }) {
            guard let type = terms[item.ticketTypeID], type.eventID == request.eventID else {
                return .failure(.validation(
                    "items", "ticket type \(item.ticketTypeID.uuidString.lowercased()) is not sold for this event"))
            }
            if item.quantity > type.maxPerOrder {
                return .failure(.validation("items", "at most \(type.maxPerOrder) tickets of this type per booking"))
            }
            if let start = type.salesStart, start > hold.now {
                return .failure(.conflict("Sales for this ticket type have not started.", code: .salesNotStarted))
            }
            if let end = type.salesEnd, end <= hold.now {
                return .failure(.conflict("Sales for this ticket type have ended.", code: .salesEnded))
            }
            items.append((item.ticketTypeID, item.quantity, type.priceMinor))
            currencies.insert(type.currency)
        }
        guard currencies.count == 1, let currency = currencies.first else {
            return .failure(.validation("items", "all ticket types of one booking must have the same currency"))
        }
        // At most 20 tickets at FieldLimits.priceMinor each: cannot overflow; checked all the same.
        guard let quantity = items.map(\.quantity).checkedSum(),
            let total = items.map({ $0.price.multipliedReportingOverflow(by: Int64($0.quantity)) })
                .map({ $0.overflow ? Int64.max : $0.partialValue }).checkedSum(), total < Int64.max
        else { return .failure(.validation("items", "the total is too large")) }
        return .success(PricedHold(hold: hold, items: items, quantity: quantity, total: total, currency: currency))
    }

    /// Places `batch`: each hold's booking, or its own refusal.
    func place(_ batch: [PendingHold], logger: Logger) async throws -> [Result<Booking, DomainError>] {
        let placed = try await database.withTransaction(logger: logger) { connection in
            let sales = try await Self.sales(of: Set(batch.map(\.request.eventID)), on: connection, logger: logger)
            let terms = try await Self.terms(
                of: Set(batch.flatMap { $0.request.items.map(\.ticketTypeID) }), on: connection, logger: logger)
            var outcomes = batch.map { Self.price($0, sales: sales, terms: terms) }
            let priced = outcomes.indices.compactMap { index in (try? outcomes[index].get()).map { (index, $0) } }
            let shortages = try await Self.takeSeats(of: priced.map(\.1), on: connection, logger: logger)
            for ((index, _), shortage) in zip(priced, shortages) {
                if let shortage { outcomes[index] = .failure(shortage) }
            }
            try await Self.insert(outcomes.compactMap { try? $0.get() }, on: connection, logger: logger)
            return outcomes.map { $0.map(\.hold.id) }
        }
        let bookings = try await bookings(ids: Set(placed.compactMap { try? $0.get() }), logger: logger)
        return placed.map { outcome in
            outcome.flatMap { id in bookings[id].map { .success($0) } ?? .failure(.notFound("Booking")) }
        }
    }

    /// The seats of `holds`, taken in their order: for every type, the whole batch's at once;
    /// if some type has too few, each hold's in turn. Per hold, why it got none (else nil).
    private static func takeSeats(
        of holds: [PricedHold], on connection: PostgresConnection, logger: Logger
    ) async throws -> [DomainError?] {
        var demand: [UUID: Int] = [:]
        for hold in holds {
            for item in hold.items { demand[item.ticketTypeID, default: 0] += item.quantity }
        }
        guard let first = holds.first else { return [] }
        let types = demand.keys.sorted { $0.uuidString < $1.uuidString }
        // One type: a take that finds too few seats changes nothing, so no savepoint is needed.
        let guarded = types.count > 1
        if guarded { try await connection.query("SAVEPOINT hold_batch", logger: logger) }
        do {
            for type in types {
                try await InventoryStripes.take(demand[type]!, of: type, for: first.hold.id, on: connection, logger: logger)
            }
            if guarded { try await connection.query("RELEASE SAVEPOINT hold_batch", logger: logger) }
            return Array(repeating: nil, count: holds.count)
        } catch InventoryStripes.Shortage.soldOut {
            if guarded { try await connection.query("ROLLBACK TO SAVEPOINT hold_batch", logger: logger) }
        }
        var shortages: [DomainError?] = []
        for hold in holds {
            shortages.append(try await takeSeats(of: hold, on: connection, logger: logger))
        }
        return shortages
    }

    /// One hold's seats, type by type, or none of them and why.
    private static func takeSeats(of hold: PricedHold, on connection: PostgresConnection, logger: Logger) async throws -> DomainError? {
        let guarded = hold.items.count > 1
        if guarded { try await connection.query("SAVEPOINT hold_one", logger: logger) }
        for item in hold.items {
            do {
                try await InventoryStripes.take(item.quantity, of: item.ticketTypeID, for: hold.hold.id, on: connection, logger: logger)
            } catch InventoryStripes.Shortage.soldOut(let left) {
                if guarded { try await connection.query("ROLLBACK TO SAVEPOINT hold_one", logger: logger) }
                return DomainError(
                    .conflict, .soldOut,
                    left > 0 ? "Only \(left) ticket\(left == 1 ? "" : "s") of this type left." : "This ticket type is sold out.",
                    fields: ["ticket_type_id": item.ticketTypeID.uuidString.lowercased()])
            }
        }
        if guarded { try await connection.query("RELEASE SAVEPOINT hold_one", logger: logger) }
        return nil
    }

    /// The sales of `events` that exist.
    private static func sales(of events: Set<UUID>, on connection: PostgresConnection, logger: Logger) async throws -> [UUID: Sale] {
        // Unprepared: a prepared statement's generic plan for `= ANY($1)` may read the whole table.
        let rows = try await connection.query(
            """
            SELECT e.id, e.status, e.ends_at, w.event_id IS NOT NULL
            FROM events e LEFT JOIN waiting_rooms w ON w.event_id = e.id WHERE e.id = ANY(\(Array(events)))
            """, logger: logger)
        var sales: [UUID: Sale] = [:]
        for try await (id, status, endsAt, hasWaitingRoom) in rows.decode((UUID, String, Date, Bool).self) {
            sales[id] = Sale(status: status, endsAt: endsAt, hasWaitingRoom: hasWaitingRoom)
        }
        return sales
    }

    /// The terms of `types` that exist.
    private static func terms(of types: Set<UUID>, on connection: PostgresConnection, logger: Logger) async throws -> [UUID: Terms] {
        let rows = try await connection.query(
            """
            SELECT id, event_id, price_minor, currency, max_per_order, sales_start, sales_end
            FROM ticket_types WHERE id = ANY(\(Array(types)))
            """, logger: logger)
        var terms: [UUID: Terms] = [:]
        for try await (id, event, price, currency, maxPerOrder, start, end) in rows.decode(
            (UUID, UUID, Int64, String, Int, Date?, Date?).self)
        {
            terms[id] = Terms(
                eventID: event, priceMinor: price, currency: currency, maxPerOrder: maxPerOrder, salesStart: start, salesEnd: end)
        }
        return terms
    }

    /// Inserts the held bookings of `holds` and their items, one statement each.
    private static func insert(_ holds: [PricedHold], on connection: PostgresConnection, logger: Logger) async throws {
        guard !holds.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO bookings (id, user_id, event_id, status, quantity, total_minor, currency, expires_at, created_at, updated_at)
            SELECT id, user_id, event_id, 'held', quantity, total, currency, expires_at, created_at, created_at
            FROM unnest(\(holds.map(\.hold.id))::uuid[], \(holds.map(\.hold.user))::uuid[],
                        \(holds.map(\.hold.request.eventID))::uuid[], \(holds.map(\.quantity))::int[],
                        \(holds.map(\.total))::int8[], \(holds.map(\.currency))::text[],
                        \(holds.map(\.hold.expiresAt))::timestamptz[], \(holds.map(\.hold.now))::timestamptz[])
                AS h(id, user_id, event_id, quantity, total, currency, expires_at, created_at)
            """, logger: logger)
        let items = holds.flatMap { hold in hold.items.map { (booking: hold.hold.id, item: $0) } }
        try await connection.query(
            """
            INSERT INTO booking_items (booking_id, ticket_type_id, quantity, unit_price_minor)
            SELECT * FROM unnest(\(items.map(\.booking))::uuid[], \(items.map(\.item.ticketTypeID))::uuid[],
                                 \(items.map(\.item.quantity))::int[], \(items.map(\.item.price))::int8[])
            """, logger: logger)
    }
}
