import Foundation
import Hummingbird
@testable import SpotServer
import SpotCore
import Testing

/// The domain's rules and refusals without a database or HTTP: what they accept and refuse, and
/// the one mapping of each refusal to the API's answer and to the web site's page.
@Suite("Domain rules, no database")
struct DomainRuleTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    func refusal(_ body: () throws -> Void) -> DomainError? {
        do {
            try body()
            return nil
        } catch let error as DomainError {
            return error
        } catch {
            Issue.record("not a domain error: \(error)")
            return nil
        }
    }

    @Test("Each kind of refusal maps to one status — with Retry-After or WWW-Authenticate where due — and one page")
    func mappings() {
        let cases: [(DomainError, HTTPResponse.Status)] = [
            (.badRequest("b"), .badRequest), (.validation("f", "p"), .unprocessableContent), (.notFound("Event"), .notFound),
            (.conflict("c", code: .soldOut), .conflict), (.forbidden("no"), .forbidden), (.unauthenticated, .unauthorized),
            (.rateLimited(retryAfter: 7), .tooManyRequests), (DomainError(.paymentDeclined, .paymentDeclined, "d"), .paymentRequired),
            (DomainError(.processorFailed, .refundFailed, "f"), .badGateway),
            (DomainError(.processorTimeout, .paymentTimeout, "t"), .gatewayTimeout), (DomainError(.gone, .cursorExpired, "g"), .gone),
        ]
        for (error, status) in cases {
            let answer = APIError(error)
            #expect(answer.status == status, "\(error.kind)")
            #expect(answer.code == error.code.rawValue && answer.message == error.message)
            #expect(WebError(error).status == status)
        }
        #expect(APIError(.rateLimited(retryAfter: 7)).headers[.retryAfter] == "7")
        #expect(APIError(.unauthenticated).headers[.wwwAuthenticate] == "Bearer")
        #expect(APIError(.validation("title", "must not be empty")).fields == ["title": "must not be empty"])
        #expect(WebError(.validation("starts_at", "must be in the future")).message == "Please correct: starts at must be in the future.")
        #expect(WebError(.notFound("Event")).title == "Not found")
        // Only a declined card or a conflict is a final answer for an idempotency key; a timeout invites the retry.
        #expect(DomainError(.paymentDeclined, .paymentDeclined, "d").isFinal && DomainError.conflict("c").isFinal)
        #expect(!DomainError(.processorTimeout, .paymentTimeout, "t").isFinal)
    }

    @Test("Events: start in the future, end after start and within 90 days, a known re-entry policy")
    func eventRules() {
        func fields(start: TimeInterval, end: TimeInterval, policy: String? = nil) -> DomainError? {
            refusal {
                _ = try EventController.fields(
                    .init(venueID: UUID(), category: "music", title: "T", description: nil, startsAt: Self.now.addingTimeInterval(start),
                          endsAt: Self.now.addingTimeInterval(end), reentryPolicy: policy),
                    current: nil, now: Self.now)
            }
        }
        #expect(fields(start: 3600, end: 7200) == nil)
        #expect(fields(start: 3600, end: 7200, policy: "reentry_after_exit") == nil)
        #expect(fields(start: -60, end: 7200)?.fields?["starts_at"] == "must be in the future")
        #expect(fields(start: 3600, end: 3600)?.fields?["ends_at"] == "must be after starts_at")
        #expect(fields(start: 3600, end: 91 * 86_400)?.fields?["ends_at"] != nil)
        #expect(fields(start: 3600, end: 7200, policy: "unrecognized")?.fields?["reentry_policy"] != nil)
        #expect(fields(start: 3600, end: 7200, policy: "reentry_with_wristband")?.fields?["reentry_policy"] != nil)
    }

    @Test("Holds: at least one type, each once, 1 to 20 tickets in all — sums that would overflow are refused, not trapped")
    func holdRules() {
        let a = UUID(), b = UUID()
        func hold(_ items: [(UUID, Int)]) -> DomainError? {
            refusal { _ = try BookingRepository.Request.validated(eventID: UUID(), items: items) }
        }
        #expect(hold([(a, 2), (b, 18)]) == nil)
        #expect(hold([])?.fields?["items"] != nil)
        #expect(hold([(a, 1), (a, 1)])?.fields?["items"] != nil)
        #expect(hold([(a, 0)])?.fields?["items"] != nil)
        #expect(hold([(a, 20), (b, 1)])?.fields?["items"] != nil)
        #expect(hold([(a, Int.max), (b, Int.max)])?.fields?["items"] != nil)
        #expect(hold([(a, Int.min)])?.fields?["items"] != nil)
    }

    @Test("A hold in a batch: its event on sale (behind its waiting room, with a pass), each type of the event and on sale now, one currency")
    func holdPricing() throws {
        let event = UUID(), standard = UUID(), vip = UUID(), dollars = UUID(), foreign = UUID()
        let now = Self.now
        let open = BookingRepository.Sale(status: "published", endsAt: now + 86_400, hasWaitingRoom: false)
        func terms(event: UUID = event, price: Int64 = 2500, currency: String = "EUR", start: Date? = nil, end: Date? = nil)
            -> BookingRepository.Terms
        {
            .init(eventID: event, priceMinor: price, currency: currency, maxPerOrder: 10, salesStart: start, salesEnd: end)
        }
        let types: [UUID: BookingRepository.Terms] = [
            standard: terms(), vip: terms(price: 9000), dollars: terms(currency: "USD"), foreign: terms(event: UUID()),
        ]
        func price(
            _ items: [(UUID, Int)], sale: BookingRepository.Sale? = open, pass: Bool = false,
            types: [UUID: BookingRepository.Terms] = types
        ) throws -> Result<BookingRepository.PricedHold, DomainError> {
            let hold = BookingRepository.PendingHold(
                id: UUID(), request: try .validated(eventID: event, items: items), user: UUID(), admittedByWaitingRoom: pass,
                now: now, expiresAt: now + 600)
            return BookingRepository.price(hold, sales: sale.map { [event: $0] } ?? [:], terms: types)
        }
        func refusal(_ result: Result<BookingRepository.PricedHold, DomainError>) -> DomainError? {
            if case .failure(let error) = result { return error }
            return nil
        }

        let priced = try price([(vip, 2), (standard, 3)]).get()
        #expect(priced.total == 2 * 9000 + 3 * 2500 && priced.quantity == 5 && priced.currency == "EUR")
        #expect(priced.items.map(\.ticketTypeID) == [standard, vip].sorted { $0.uuidString < $1.uuidString }, "types in lock order")
        #expect(try refusal(price([(standard, 1)], sale: nil))?.kind == .notFound)
        #expect(try refusal(price([(standard, 1)], sale: .init(status: "draft", endsAt: now + 60, hasWaitingRoom: false)))?.kind == .notFound)
        #expect(try refusal(price([(standard, 1)], sale: .init(status: "cancelled", endsAt: now + 60, hasWaitingRoom: false)))?.code == .eventNotOnSale)
        #expect(try refusal(price([(standard, 1)], sale: .init(status: "published", endsAt: now, hasWaitingRoom: false)))?.code == .eventNotOnSale)
        let behindRoom = BookingRepository.Sale(status: "published", endsAt: now + 60, hasWaitingRoom: true)
        #expect(try refusal(price([(standard, 1)], sale: behindRoom))?.code == .waitingRoomPassRequired)
        #expect(try refusal(price([(standard, 1)], sale: behindRoom, pass: true)) == nil)
        #expect(try refusal(price([(foreign, 1)]))?.fields?["items"] != nil, "a type of another event")
        #expect(try refusal(price([(UUID(), 1)]))?.fields?["items"] != nil, "a type that does not exist")
        #expect(try refusal(price([(standard, 11)]))?.fields?["items"] != nil, "above the type's most per booking")
        #expect(try refusal(price([(standard, 1), (dollars, 1)]))?.fields?["items"] != nil, "two currencies")
        #expect(try refusal(price([(standard, 1)], types: [standard: terms(start: now + 1)]))?.code == .salesNotStarted)
        #expect(try refusal(price([(standard, 1)], types: [standard: terms(end: now)]))?.code == .salesEnded)
        #expect(try refusal(price([(standard, 2)], types: [standard: terms(price: .max / 2)])) == nil)
        #expect(try refusal(price([(standard, 3)], types: [standard: terms(price: .max / 2)]))?.fields?["items"] != nil, "a total that would overflow")
    }

    @Test("Online check-in: the nodes' gate-name rule, a payload of at most 4 KiB, a known direction")
    func checkInRules() {
        func check(_ gate: String?, direction: String? = nil, payload: String = "X") -> DomainError? {
            refusal { _ = try CheckInService.validated(payload: payload, gate: gate, direction: direction) }
        }
        #expect(check("North") == nil)
        #expect(check(String(repeating: "g", count: FieldLimits.gateName.upperBound)) == nil)
        #expect(check(String(repeating: "g", count: FieldLimits.gateName.upperBound + 1))?.fields?["gate"] == FieldLimits.gateNameProblem(String(repeating: "g", count: 101)))
        #expect(check("   ")?.fields?["gate"] != nil)
        #expect(check(nil)?.fields?["gate"] != nil)
        #expect(check("North", direction: "sideways")?.fields?["direction"] != nil)
        #expect(check("North", payload: String(repeating: "X", count: 4097))?.fields?["payload"] != nil)
    }

    @Test("Cards: Luhn-checked numbers, MM/YY expiries not past and never overflowing, 3 or 4 digit CVCs")
    func cardRules() {
        func problems(_ number: String, _ expiry: String, _ cvc: String) -> [String: String] {
            switch PaymentCard.parse(number: number, expiry: expiry, cvc: cvc, now: Self.now) {
            case .success: [:]
            case .failure(let error): error.fields ?? [:]
            }
        }
        #expect(problems("4242 4242 4242 4242", "12/39", "123").isEmpty)
        #expect(problems("4242 4242 4242 4242", "12/2039", "1234").isEmpty)
        #expect(problems("4242 4242 4242 4241", "12/39", "123")["card.number"] != nil)
        #expect(problems("4242 4242 4242 4242", "01/20", "123")["card.expiry"] == "has passed")
        for expiry in ["12/9223372036854775807", "13/30", "00/30", "12-30", "1/2/3", "12/123456"] {
            #expect(problems("4242 4242 4242 4242", expiry, "123")["card.expiry"] != nil, "\(expiry)")
        }
        #expect(problems("4242 4242 4242 4242", "12/39", "12")["card.cvc"] != nil)
    }

    @Test("Venues: every field required and bounded; the time zone one PostgreSQL and Foundation both know")
    func venueRules() {
        let zones = TimeZoneCatalog(names: ["Europe/Berlin", "UTC"])
        func venue(_ zone: String?, name: String? = "Hall") -> DomainError? {
            refusal {
                _ = try VenueController.fields(
                    .init(name: name, city: "Hamburg", address: "Kai 1", timeZone: zone, kioskFailover: nil), current: nil, timeZones: zones)
            }
        }
        #expect(venue("Europe/Berlin") == nil)
        #expect(venue("US/Pacific-New")?.fields?["time_zone"] != nil)
        #expect(venue(nil)?.fields?["time_zone"] != nil)
        #expect(venue("UTC", name: String(repeating: "n", count: 201))?.fields?["name"] != nil)
    }
}
