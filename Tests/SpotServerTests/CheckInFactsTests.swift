import Foundation
import SpotCore
import Testing

@testable import SpotServer

@Suite("Check-in facts kept in the process")
struct CheckInFactsTests {
    let event = UUID()
    let organizer = UUID()
    var facts: CheckInFacts.Event { .init(organizer: organizer, status: "published", reentry: "single_entry") }

    @Test("Nothing is kept while not listening; a change or a lost listener drops what was kept")
    func keeping() throws {
        let kept = CheckInFacts()
        kept.keep(facts, for: event, readAt: kept.generation)
        #expect(kept.event(event) == nil, "not listening: nothing is kept")
        kept.listening(true)
        kept.keep(facts, for: event, readAt: kept.generation)
        kept.keep([], of: organizer, readAt: kept.generation)
        #expect(kept.event(event) == facts)
        #expect(kept.keys(of: organizer) == [])
        kept.changed("event:\(event.uuidString.lowercased())")
        #expect(kept.event(event) == nil)
        #expect(kept.keys(of: organizer) == [], "another kind of change keeps the keys")
        kept.changed("keys:\(organizer.uuidString.lowercased())")
        #expect(kept.keys(of: organizer) == nil)
        kept.keep(facts, for: event, readAt: kept.generation)
        kept.listening(false)
        kept.listening(true)
        #expect(kept.event(event) == nil, "notifications may have been missed while the listener was away")
        kept.keep(facts, for: event, readAt: kept.generation)
        kept.changed("something else")
        #expect(kept.event(event) == nil, "an unreadable notification drops everything")

        let user = UUID()
        kept.keep([organizer], of: user, as: .staff, readAt: kept.generation)
        kept.keep(facts, for: event, readAt: kept.generation)
        #expect(kept.scope(of: user, as: .staff) == [organizer])
        #expect(kept.scope(of: user, as: .organizer) == nil, "a scope is kept for the role it was read for")
        kept.changed("scope:\(UUID().uuidString.lowercased())")
        #expect(kept.scope(of: user, as: .staff) == [organizer], "another user's change keeps it")
        kept.changed("scope:\(user.uuidString.lowercased())")
        #expect(kept.scope(of: user, as: .staff) == nil)
        #expect(kept.event(event) == facts, "a scope change keeps the events")
    }

    @Test("A value read before a change arrived is not kept")
    func staleRead() {
        let kept = CheckInFacts()
        kept.listening(true)
        let generation = kept.generation
        kept.changed("event:\(event.uuidString.lowercased())")
        kept.keep(facts, for: event, readAt: generation)
        #expect(kept.event(event) == nil)
    }

    @Test("Check-ins read the event from what is kept, and a change committed anywhere reaches them at once")
    func invalidatedByNotifications() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let payloads = try await server.ticketPayloads(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 3)
            func checkIn(_ payload: String) async throws -> String? {
                try await server.api.post("/api/v1/check-ins", ["payload": payload, "gate": "A"], token: sale.token)
                    .json["verdict"].string
            }
            #expect(try await checkIn(payloads[0]) == "ok")
            // A change that notifies nobody (its trigger off) is not seen: the event was kept.
            try await server.sql(
                "ALTER TABLE events DISABLE TRIGGER events_check_in_facts",
                "UPDATE events SET status = 'cancelled' WHERE id = '\(sale.event)'",
                "ALTER TABLE events ENABLE TRIGGER events_check_in_facts")
            #expect(try await checkIn(payloads[1]) == "ok", "the kept event was used")
            // The same change committed as any replica commits it is seen within moments.
            try await server.sql("UPDATE events SET status = 'cancelled' WHERE id = '\(sale.event)'")
            let started = ContinuousClock.now
            var verdict = try await checkIn(payloads[2])
            while verdict != "event_cancelled", ContinuousClock.now - started < .seconds(2) {
                try await Task.sleep(for: .milliseconds(20))
                verdict = try await checkIn(payloads[2])
            }
            #expect(verdict == "event_cancelled")
        }
    }

    @Test("Whose events a member of staff checks in for is kept, and a changed assignment reaches the next check-in")
    func scopesInvalidatedByNotifications() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let payloads = try await server.ticketPayloads(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 3)
            let (staff, staffID) = try await TicketTests.staff(server, organizer: sale.token)
            func checkIn(_ payload: String) async throws -> (Int, String?) {
                let response = try await server.api.post("/api/v1/check-ins", ["payload": payload, "gate": "A"], token: staff)
                return (response.status, response.json["verdict"].string ?? response.json["error"]["code"].string)
            }
            #expect(try await checkIn(payloads[0]) == (200, "ok"))
            // An assignment moved without its notification is not seen: the scope was kept.
            try await server.sql(
                "ALTER TABLE staff_assignments DISABLE TRIGGER staff_assignments_check_in_scope",
                "DELETE FROM staff_assignments WHERE user_id = '\(staffID)'",
                "ALTER TABLE staff_assignments ENABLE TRIGGER staff_assignments_check_in_scope")
            #expect(try await checkIn(payloads[1]) == (200, "ok"), "the kept scope was used")
            // Moved as every replica moves it (here: back, then away again), the next check-ins see it.
            try await server.sql(
                "INSERT INTO staff_assignments (user_id, organizer_id, created_at) SELECT '\(staffID)', organizer_id, now() FROM events WHERE id = '\(sale.event)'",
                "DELETE FROM staff_assignments WHERE user_id = '\(staffID)'")
            let started = ContinuousClock.now
            var answer = try await checkIn(payloads[2])
            while answer.0 != 403, ContinuousClock.now - started < .seconds(2) {
                try await Task.sleep(for: .milliseconds(20))
                answer = try await checkIn(payloads[2])
            }
            #expect(answer.0 == 403, "a member of staff no longer assigned checks nothing in")
        }
    }
}
