import Foundation
import SpotServer
import SpotTestSupport

/// Buying tickets through the API.
extension TestServer {
    static let successCard: [String: any Sendable] = ["number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123"]

    static func card(_ number: String) -> [String: any Sendable] { ["number": number, "expiry": "12/39", "cvc": "123"] }

    /// Holds `quantity` tickets of one type.
    func hold(token: String, event: String, ticketType: String, quantity: Int = 1) async throws -> APIResponse {
        let items: [[String: any Sendable]] = [["ticket_type_id": ticketType, "quantity": quantity]]
        return try await api.post("/api/v1/bookings", ["event_id": event, "items": items], token: token)
    }

    func checkout(
        token: String, booking: String, card: [String: any Sendable] = TestServer.successCard, key: String = UUID().uuidString
    ) async throws -> APIResponse {
        try await api.post(
            "/api/v1/bookings/\(booking)/checkout", ["card": card], token: token, headers: [("Idempotency-Key", key)])
    }

    /// A buyer holding `quantity` tickets of a fresh sale: the buyer's token and the booking's id.
    func heldBooking(quantity: Int) async throws -> (buyer: String, booking: String) {
        let sale = try await onSale(admin: try await admin())
        let (buyer, _, _) = try await register("buyer@example.com")
        let held = try await hold(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: quantity)
        guard held.status == 201, let id = held.json["id"].string else { throw TestFailure("hold: \(held.text)") }
        return (buyer, id)
    }

    /// Holds and pays; returns the paid booking.
    func buy(token: String, event: String, ticketType: String, quantity: Int = 1) async throws -> JSON {
        let held = try await hold(token: token, event: event, ticketType: ticketType, quantity: quantity)
        guard held.status == 201, let id = held.json["id"].string else { throw TestFailure("hold: \(held.text)") }
        let paid = try await checkout(token: token, booking: id)
        guard paid.status == 200 else { throw TestFailure("checkout: \(paid.text)") }
        return paid.json
    }

    /// The QR payloads of `quantity` tickets of `ticketType` bought by `token`'s account.
    func ticketPayloads(token: String, event: String, ticketType: String, quantity: Int) async throws -> [String] {
        let payloads = try await buy(token: token, event: event, ticketType: ticketType, quantity: quantity)["tickets"].array
            .compactMap { $0["payload"].string }
        guard payloads.count == quantity else { throw TestFailure("bought \(payloads.count) tickets, not \(quantity)") }
        return payloads
    }

    /// A verified organizer with a published event and one ticket type of `capacity` at `price`.
    func onSale(
        organizer email: String = "org@example.com", admin: String, capacity: Int = 100, price: Int = 2500
    ) async throws -> (token: String, organizer: String, event: String, ticketType: String) {
        let (token, venue, organizer) = try await verifiedOrganizer(email, admin: admin)
        let event = try await createEvent(token: token, venue: venue)
        let created = try await api.post(
            "/api/v1/events/\(event)/ticket-types",
            ["name": "Standard", "price_minor": price, "currency": "EUR", "capacity": capacity], token: token)
        guard let ticketType = created.json["id"].string else { throw TestFailure("ticket type: \(created.text)") }
        let published = try await api.post("/api/v1/events/\(event)/publish", token: token)
        guard published.status == 200 else { throw TestFailure("publish: \(published.text)") }
        return (token, organizer, event, ticketType)
    }
}
