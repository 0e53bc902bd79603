import Foundation
import Logging
import PostgresNIO
import SpotTestSupport
import Testing

@testable import SpotServer

@Suite("Refunds, cancellation, the revocation feed")
struct RefundTests {
    @Test("Partial then full refund: tickets revoked, seats back, history for buyer and organizer, buyer notified")
    func refunds() async throws {
        try await TestServer.run(configure: { $0.runsBackgroundServices = false }) { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 10, price: 2000)
            let (buyer, buyerID, _) = try await server.register("buyer@example.com")
            let booking = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 3)
            let bookingID = try #require(booking["id"].string)
            let tickets = booking["tickets"].array.compactMap { $0["id"].string }
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory") == 3)

            // The buyer cannot refund; the organizer can.
            let forbidden = try await server.api.post(
                "/api/v1/bookings/\(bookingID)/refunds", ["ticket_ids": [tickets[0]]], token: buyer, headers: [("Idempotency-Key", "r1")])
            #expect(forbidden.status == 403)
            let partial = try await server.api.post(
                "/api/v1/bookings/\(bookingID)/refunds", ["ticket_ids": [tickets[0]]], token: sale.token,
                headers: [("Idempotency-Key", "r1")])
            #expect(partial.status == 200, "\(partial.text)")
            #expect(partial.json["refund"]["amount_minor"].int == 2000)
            #expect(partial.json["booking"]["status"].string == "paid")
            #expect(partial.json["booking"]["refunded_minor"].int == 2000)
            let replay = try await server.api.post(
                "/api/v1/bookings/\(bookingID)/refunds", ["ticket_ids": [tickets[0]]], token: sale.token,
                headers: [("Idempotency-Key", "r1")])
            #expect(replay.body == partial.body)
            #expect(try await server.count("SELECT count(*)::int FROM simulated_gateway_operations WHERE kind = 'refund'") == 1)
            // Refunding the refunded ticket again is refused.
            let again = try await server.api.post(
                "/api/v1/bookings/\(bookingID)/refunds", ["ticket_ids": [tickets[0]]], token: sale.token,
                headers: [("Idempotency-Key", "r2")])
            #expect(again.status == 422)

            let full = try await server.api.post(
                "/api/v1/bookings/\(bookingID)/refunds", nil, token: sale.token, headers: [("Idempotency-Key", "r3")])
            #expect(full.json["refund"]["amount_minor"].int == 4000)
            #expect(full.json["booking"]["status"].string == "refunded")
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM tickets WHERE status = 'revoked'") == 3)
            #expect(try await server.count("SELECT count(*)::int FROM revocations WHERE reason = 'refunded'") == 3)
            let nothing = try await server.api.post(
                "/api/v1/bookings/\(bookingID)/refunds", nil, token: sale.token, headers: [("Idempotency-Key", "r4")])
            #expect(nothing.errorCode == "booking_not_paid")

            let wallet = try await server.api.get("/api/v1/wallet", token: buyer)
            #expect(wallet.json["items"].array.allSatisfy { $0["status"].string == "revoked" })
            let door = try await server.api.post(
                "/api/v1/check-ins", ["payload": wallet.json["items"][0]["payload"].string!, "gate": "A"], token: sale.token)
            #expect(door.json["verdict"].string == "revoked")

            let history = try await server.api.get("/api/v1/payments", token: buyer)
            #expect(history.json["items"].array.map { $0["kind"].string! }.sorted() == ["charge", "refund", "refund"])
            let organizerHistory = try await server.api.get("/api/v1/organizers/me/transactions", token: sale.token)
            #expect(organizerHistory.json["items"].array.count == 3)
            // Paged and filtered like an event's records.
            #expect(try await server.api.get("/api/v1/payments?kind=refund", token: buyer).json["items"].array.count == 2)
            let firstPage = try await server.api.get("/api/v1/organizers/me/transactions?limit=2", token: sale.token).json
            let cursor = try #require(firstPage["next_cursor"].string)
            let lastPage = try await server.api.get("/api/v1/organizers/me/transactions?limit=2&cursor=\(cursor)", token: sale.token).json
            #expect(lastPage["next_cursor"].string == nil)
            #expect(Set((firstPage["items"].array + lastPage["items"].array).compactMap { $0["id"].string }).count == 3)
            #expect(try await server.api.get("/api/v1/payments?kind=gift", token: buyer).status == 422)
            #expect(try await server.count(
                "SELECT count(*)::int FROM notifications WHERE kind = 'refund' AND user_id = '\(buyerID)' AND channel = 'email'") == 2)
        }
    }

    @Test("Cancelling an event stops sales, releases holds, refunds every paid booking through the gateway and notifies")
    func cancellation() async throws {
        try await TestServer.run(configure: {
            $0.jobPolicy = WorkerPolicy(baseDelay: 0.1, idleInterval: .milliseconds(100))
            $0.notificationPolicy = WorkerPolicy(baseDelay: 0.1, idleInterval: .milliseconds(100))
        }) { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let (a, aID, _) = try await server.register("a@example.com")
            let (b, _, _) = try await server.register("b@example.com")
            _ = try await server.buy(token: a, event: sale.event, ticketType: sale.ticketType, quantity: 2)
            _ = try await server.buy(token: b, event: sale.event, ticketType: sale.ticketType)
            let hold = try #require(try await server.hold(token: b, event: sale.event, ticketType: sale.ticketType).json["id"].string)

            let cancelled = try await server.api.post("/api/v1/events/\(sale.event)/cancel", token: sale.token)
            #expect(cancelled.json["status"].string == "cancelled")
            #expect(try await server.api.get("/api/v1/bookings/\(hold)", token: b).json["status"].string == "cancelled")
            #expect(try await server.hold(token: a, event: sale.event, ticketType: sale.ticketType).errorCode == "event_not_on_sale")

            // The job runner refunds in the background.
            var refunded = 0
            for _ in 0..<50 where refunded < 2 {
                try await Task.sleep(for: .milliseconds(200))
                refunded = try await server.count("SELECT count(*)::int FROM bookings WHERE status = 'refunded'")
            }
            #expect(refunded == 2)
            #expect(try await server.count("SELECT count(*)::int FROM tickets WHERE revoked_reason = 'cancelled'") == 3)
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM jobs WHERE status = 'done'") == 2)
            #expect(try await server.count(
                "SELECT count(*)::int FROM notifications WHERE kind = 'event_cancelled' AND user_id = '\(aID)' AND channel = 'email'") == 1)
            // The dispatcher delivers them.
            var sent = 0
            for _ in 0..<50 where sent == 0 {
                try await Task.sleep(for: .milliseconds(200))
                sent = try await server.count(
                    "SELECT count(*)::int FROM simulated_deliveries d JOIN notifications n ON n.id = d.notification_id WHERE n.kind = 'event_cancelled'")
            }
            #expect(sent >= 2)
            let mine = try await server.api.get("/api/v1/me/notifications", token: a)
            #expect(mine.json["items"].array.contains { $0["kind"].string == "event_cancelled" })
        }
    }

    @Test("The revocation feed follows commit order: a revocation committed late by a slow transaction is never skipped")
    func commitOrder() async throws {
        try await TestDatabase.shared.withDatabase { configuration in
            let logger = Logger(label: "test")
            try await TestDatabase.withClient(configuration, logger: logger) { client in
                let database = Database(client: client, maximumConnections: 4, registry: .init())
                let feed = RevocationFeed(database: database)
                // An event to revoke tickets of.
                try await client.query(
                    """
                    INSERT INTO users (id, email, email_normalized, password_hash, display_name, role)
                    VALUES ('00000000-0000-0000-0000-0000000000a1', 'o@x.test', 'o@x.test', '!', 'O', 'organizer')
                    """, logger: logger)
                try await client.query(
                    "INSERT INTO organizers (id, user_id, name) VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000a1', 'O')",
                    logger: logger)
                try await client.query(
                    """
                    INSERT INTO venues (id, organizer_id, name, city, address, time_zone)
                    VALUES ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000b1', 'V', 'C', 'A', 'UTC')
                    """, logger: logger)
                let event = UUID(uuidString: "00000000-0000-0000-0000-0000000000d1")!
                try await client.query(
                    """
                    INSERT INTO events (id, organizer_id, venue_id, category_id, title, starts_at, ends_at)
                    VALUES (\(event), '00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000c1', 'music',
                            'E', now() + interval '1 day', now() + interval '2 days')
                    """, logger: logger)
                func revoke(_ connection: PostgresNIO.PostgresConnection, _ ticket: UUID) async throws {
                    try await connection.query(
                        """
                        INSERT INTO revocations (ticket_id, issue_version, event_id, reason, created_at)
                        VALUES (\(ticket), 1, \(event), 'refunded', now())
                        """, logger: logger)
                }
                let slow = UUID()
                let fast = UUID()
                // The slow transaction starts first (smaller transaction id) and stays open.
                try await client.withConnection { slowConnection in
                    try await slowConnection.query("BEGIN", logger: logger)
                    try await revoke(slowConnection, slow)
                    // A fast transaction commits meanwhile.
                    try await client.withConnection { fastConnection in
                        try await fastConnection.query("BEGIN", logger: logger)
                        try await revoke(fastConnection, fast)
                        try await fastConnection.query("COMMIT", logger: logger)
                    }
                    // A reader now must not move past the slow transaction's place.
                    let (early, cursor) = try await feed.read(after: .start, limit: 100, logger: logger)
                    #expect(early.isEmpty)
                    #expect(cursor == .start)
                    try await slowConnection.query("COMMIT", logger: logger)
                }
                // Transaction ids are cluster-wide: any older transaction still running anywhere holds the
                // reader back a moment longer (never forward). Poll until both appear.
                var (entries, cursor) = try await feed.read(after: .start, limit: 100, logger: logger)
                for _ in 0..<100 where entries.count < 2 {
                    try await Task.sleep(for: .milliseconds(50))
                    (entries, cursor) = try await feed.read(after: .start, limit: 100, logger: logger)
                }
                #expect(entries.map(\.revocation.ticketID) == [slow, fast])
                let (rest, _) = try await feed.read(after: cursor, limit: 100, logger: logger)
                #expect(rest.isEmpty)
                #expect(RevocationFeed.Cursor(cursor.description) == cursor)
            }
        }
    }
}
