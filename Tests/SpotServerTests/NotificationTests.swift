import Foundation
import Logging
import PostgresNIO
import SpotTestSupport
import Testing

@testable import SpotServer

@Suite("Notifications: outbox, dispatchers, retries, preferences")
struct NotificationTests {
    let logger = Logger(label: "test")

    @Test("Messages queued together: each to each of its users, once per enabled channel, with its own text and booking")
    func messagesTogether() async throws {
        try await TestServer.run { server in
            let a = try #require(UUID(uuidString: try await server.register("a@example.com").userID))
            let (bToken, bID, _) = try await server.register("b@example.com")
            let b = try #require(UUID(uuidString: bID))
            let sale = try await server.onSale(admin: try await server.admin())
            let booking = try #require(UUID(uuidString: try await server.hold(
                token: bToken, event: sale.event, ticketType: sale.ticketType).json["id"].string ?? ""))
            try await TestDatabase.withClient(server.database, logger: logger) { client in
                try await client.withConnection { connection in
                    try await NotificationOutbox.enqueue(
                        .eventChanged,
                        [
                            .init(subject: "One", body: "first", booking: nil, users: [a, b]),
                            .init(subject: "Two", body: "second", booking: booking, users: [b, UUID()]),
                        ], on: connection, now: Date(), logger: logger)
                    try await NotificationOutbox.enqueue(
                        .eventCancelled, users: [a, a], subject: "Three", body: "third", on: connection, now: Date(), logger: logger)
                }
            }
            // No phone numbers: e-mail and push each; an unknown user gets nothing; a user named twice, one each.
            #expect(try await server.count("SELECT count(*)::int FROM notifications WHERE subject = 'One' AND body = 'first' AND booking_id IS NULL") == 4)
            #expect(try await server.count(
                "SELECT count(*)::int FROM notifications WHERE subject = 'Two' AND body = 'second' AND user_id = '\(b)' AND booking_id = '\(booking)'") == 2)
            #expect(try await server.count("SELECT count(*)::int FROM notifications WHERE subject = 'Two'") == 2)
            #expect(try await server.count("SELECT count(*)::int FROM notifications WHERE subject = 'Three' AND user_id = '\(a)' AND kind = 'event_cancelled'") == 2)
            #expect(try await server.count("SELECT count(*)::int FROM notifications") == 8)
        }
    }

    /// Queues `count` notifications for one user straight into the outbox.
    static func queue(_ count: Int, email: String, client: PostgresClient, logger: Logger) async throws -> UUID {
        let user = UUID()
        try await client.query(
            """
            INSERT INTO users (id, email, email_normalized, password_hash, display_name, role)
            VALUES (\(user), \(email), \(email), '!', 'U', 'attendee')
            """, logger: logger)
        try await client.query(
            """
            INSERT INTO notifications (id, user_id, channel, kind, recipient, subject, body, status, next_attempt_at, created_at)
            SELECT gen_random_uuid(), \(user), 'email', 'refund', \(email), 'S ' || n, 'B', 'queued', now(), now()
            FROM generate_series(1, \(count)) AS n
            """, logger: logger)
        return user
    }

    static func dispatcher(_ database: Database, policy: WorkerPolicy, clock: ServerClock = .system) -> NotificationDispatcher {
        let logger = Logger(label: "test")
        return NotificationDispatcher(
            database: database,
            providers: Dictionary(uniqueKeysWithValues: NotificationChannel.allCases.map {
                ($0, SimulationProvider(channel: $0, database: database, logger: logger) as any NotificationProvider)
            }),
            policy: policy, clock: clock, logger: logger)
    }

    @Test("Two dispatchers drain 300 notifications together and never send one twice")
    func twoDispatchers() async throws {
        try await TestDatabase.shared.withDatabase { configuration in
            try await TestDatabase.withClient(configuration, logger: logger) { client in
                let database = Database(client: client, maximumConnections: 20, registry: .init())
                _ = try await Self.queue(300, email: "many@example.com", client: client, logger: logger)
                let policy = WorkerPolicy(batchSize: 7)
                let handled = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            let dispatcher = Self.dispatcher(database, policy: policy)
                            var total = 0
                            while true {
                                let round = try await dispatcher.dispatchOnce()
                                if round == 0 { return total }
                                total += round
                            }
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(handled.reduce(0, +) == 300)
                #expect(handled.allSatisfy { $0 > 0 }, "both dispatchers took part: \(handled)")
                let rows = try await client.query(
                    "SELECT count(*)::int, coalesce(max(deliveries), 0) FROM simulated_deliveries", logger: logger)
                for try await (count, maximum) in rows.decode((Int, Int).self) {
                    #expect(count == 300)
                    #expect(maximum == 1, "a notification was delivered twice")
                }
                let sent = try await client.query("SELECT count(*)::int FROM notifications WHERE status = 'sent'", logger: logger)
                for try await count in sent.decode(Int.self) { #expect(count == 300) }
            }
        }
    }

    @Test("A failing delivery is retried with exponential backoff, then dead-lettered")
    func backoff() async throws {
        try await TestDatabase.shared.withDatabase { configuration in
            try await TestDatabase.withClient(configuration, logger: logger) { client in
                let database = Database(client: client, maximumConnections: 4, registry: .init())
                _ = try await Self.queue(1, email: "user+fail@example.com", client: client, logger: logger)
                let clock = MovableClock()
                let dispatcher = Self.dispatcher(
                    database, policy: WorkerPolicy(maximumAttempts: 4, baseDelay: 10), clock: clock.serverClock)
                var delays: [Double] = []
                for attempt in 1...4 {
                    #expect(try await dispatcher.dispatchOnce() == 1)
                    #expect(try await dispatcher.dispatchOnce() == 0, "not retried before its time")
                    let rows = try await client.query(
                        "SELECT status, attempts, extract(epoch FROM next_attempt_at - now())::float8, last_error FROM notifications",
                        logger: logger)
                    for try await (status, attempts, wait, error) in rows.decode((String, Int, Double, String?).self) {
                        #expect(attempts == attempt)
                        #expect(status == (attempt == 4 ? "dead" : "failed"))
                        #expect(error?.contains("refused") == true)
                        delays.append(wait - clock.movedBy)
                    }
                    clock.advance(by: 100)
                }
                // 10 s, 20 s, 40 s (within a second of jitter from the test itself).
                for (delay, expected) in zip(delays, [10.0, 20.0, 40.0]) { #expect(abs(delay - expected) < 2) }
                #expect(try await dispatcher.dispatchOnce() == 0, "dead notifications are not retried")
            }
        }
    }

    @Test("Preferences and phone numbers decide the channels; the event-changed notice reaches ticket holders")
    func preferencesAndChannels() async throws {
        try await TestServer.run(configure: { $0.runsBackgroundServices = false }) { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let (buyer, buyerID, _) = try await server.register("buyer@example.com")
            let phone = try await server.api.patch("/api/v1/me", ["phone": "+49 170 1234567"], token: buyer)
            #expect(phone.json["phone"].string == "+491701234567")
            #expect(try await server.api.patch("/api/v1/me", ["phone": "0170"], token: buyer).status == 422)
            let preferences = try await server.api.send(
                .PUT, "/api/v1/me/notification-preferences",
                json: ["preferences": [["channel": "push", "kind": "booking_confirmed", "enabled": false]] as [[String: any Sendable]]],
                token: buyer)
            #expect(preferences.json["preferences"].array.count == 12)
            #expect(preferences.json["preferences"].array.contains {
                $0["channel"].string == "push" && $0["kind"].string == "booking_confirmed" && $0["enabled"].bool == false
            })

            _ = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 2)
            let confirmations = try await server.api.get("/api/v1/me/notifications", token: buyer)
            let channels = confirmations.json["items"].array.filter { $0["kind"].string == "booking_confirmed" }
                .compactMap { $0["channel"].string }.sorted()
            #expect(channels == ["email", "sms"])
            let body = try await server.count(
                "SELECT count(*)::int FROM notifications WHERE user_id = '\(buyerID)' AND channel = 'email' AND body LIKE '%Ticket %:%'")
            #expect(body == 1, "the confirmation email carries the tickets")

            let moved = Date().addingTimeInterval(40 * 86_400)
            let edited = try await server.api.patch(
                "/api/v1/events/\(sale.event)",
                ["starts_at": moved.formatted(.iso8601), "ends_at": moved.addingTimeInterval(3600).formatted(.iso8601)],
                token: sale.token)
            #expect(edited.status == 200)
            #expect(try await server.count(
                "SELECT count(*)::int FROM notifications WHERE kind = 'event_changed' AND user_id = '\(buyerID)'") == 3)
            _ = try await server.api.patch("/api/v1/events/\(sale.event)", ["description": "Now with more brass"], token: sale.token)
            #expect(try await server.count("SELECT count(*)::int FROM notifications WHERE kind = 'event_changed'") == 3,
                    "a description change is not worth a message")
        }
    }
}
