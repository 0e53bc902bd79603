import Foundation
import Hummingbird

/// The organizer's money: every charge and refund on their events, each booking, and refunds
/// of a whole booking or some of its tickets.
struct OrganizerSalesPages: OrganizerPage, Sendable {
    let pages: PageRenderer
    let organizers: OrganizerRepository
    let access: EventAccess
    let bookings: BookingRepository
    let refunds: RefundService
    let formKeys: FormKeys
    let clock: ServerClock

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("organizer/sales", use: sales)
        site.get("organizer/bookings/:id", use: booking)
        site.post("organizer/bookings/:id/refunds", use: refund)
    }

    @Sendable func sales(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        let items = try await bookings.transactions(.organizer(organizer.id), logger: context.logger).items
        var totals: [String: Int64] = [:]
        for item in items { totals[item.currency, default: 0] += item.kind == "refund" ? -item.amountMinor : item.amountMinor }
        return try pages.render(
            "organizer_sales", title: "Sales and refunds",
            page: SalesPage(
                transactions: items.map {
                    .init(
                        kind: $0.kind == "refund" ? "Refund" : "Payment", isRefund: $0.kind == "refund", event: $0.eventTitle,
                        amount: Formatting.money($0.amountMinor, $0.currency), when: Formatting.dateTime($0.createdAt),
                        reference: $0.reference, bookingID: Self.id($0.bookingID))
                },
                hasTransactions: !items.isEmpty,
                totals: totals.sorted { $0.key < $1.key }.map { .init(net: Formatting.money($0.value, $0.key)) }),
            web: context.web)
    }

    /// Every charge and refund of the organizer's events, with the net per currency.
    struct SalesPage {
        struct Transaction {
            let kind: String
            let isRefund: Bool
            let event: String
            let amount: String
            let when: String
            let reference: String
            let bookingID: String
        }

        struct Total {
            let net: String
        }

        let transactions: [Transaction]
        let hasTransactions: Bool
        let totals: [Total]
    }

    /// A booking of one of the caller's events (404 for any other, as in the API).
    private func managedBooking(_ context: AppRequestContext) async throws -> (Booking, Event, Identity) {
        let (_, identity) = try await organizer(context)
        guard let booking = try await bookings.booking(id: try context.parameters.requireUUID("id"), logger: context.logger)
        else { throw WebError.notFound("This booking") }
        let event = try await ownedEvent(booking.eventID, by: identity, access: access, what: "This booking", logger: context.logger)
        return (booking, event, identity)
    }

    private func bookingPage(
        _ booking: Booking, event: Event, notice: String?, problem: String?, status: HTTPResponse.Status,
        context: AppRequestContext
    ) throws -> Response {
        let zone = event.venue.timeZone
        return try pages.render(
            "organizer_booking", title: "Booking",
            page: BookingPage(
                notice: notice, problem: problem, id: Self.id(booking.id), eventID: Self.id(event.id), eventTitle: event.title,
                status: booking.status.rawValue, created: Formatting.dateTime(booking.createdAt, timeZone: zone),
                items: booking.items.map {
                    .init(name: $0.name, quantity: $0.quantity, unit: Formatting.money($0.unitPriceMinor, booking.currency))
                },
                total: Formatting.money(booking.totalMinor, booking.currency),
                refunded: booking.refundedMinor > 0 ? Formatting.money(booking.refundedMinor, booking.currency) : nil,
                canRefund: booking.status == .paid && booking.tickets.contains { $0.status == "valid" },
                tickets: booking.tickets.map {
                    .init(
                        id: Self.id($0.id), type: $0.ticketTypeName, price: Formatting.money($0.priceMinor, $0.currency),
                        status: $0.status, valid: $0.status == "valid", revokedReason: $0.revokedReason)
                },
                idempotencyKey: formKeys.issue(
                    .refund, boundTo: FormKeys.binding(booking: booking.id, user: try context.requireIdentity().userID))),
            web: context.web, status: status)
    }

    /// One booking of the organizer's event, with the refund form.
    struct BookingPage {
        struct Item {
            let name: String
            let quantity: Int
            let unit: String
        }

        struct Ticket {
            let id: String
            let type: String
            let price: String
            let status: String
            let valid: Bool
            let revokedReason: String?
        }

        let notice: String?
        let problem: String?
        let id: String
        let eventID: String
        let eventTitle: String
        let status: String
        let created: String
        let items: [Item]
        let total: String
        let refunded: String?
        let canRefund: Bool
        let tickets: [Ticket]
        let idempotencyKey: String
    }

    @Sendable func booking(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (booking, event, _) = try await managedBooking(context)
        return try bookingPage(booking, event: event, notice: notice(request), problem: nil, status: .ok, context: context)
    }

    /// Refunds the ticked tickets, or the whole booking when none is ticked. The form's key, issued
    /// for this booking and organizer, makes a double submit one refund at the gateway; the same
    /// key sent for other tickets is refused by the gateway and refunds nothing.
    @Sendable func refund(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (booking, event, identity) = try await managedBooking(context)
        let form = context.web.form
        let picked = form.all("ticket_id")
        let tickets = picked.compactMap(UUID.init(uuidString:))
        do {
            guard let nonce = formKeys.verify(
                form["idempotency_key"] ?? "", .refund, boundTo: FormKeys.binding(booking: booking.id, user: identity.userID))
            else { throw DomainError.formExpired }
            guard tickets.count == picked.count else { throw DomainError.validation("ticket_id", "must be tickets of this booking") }
            _ = try await refunds.refund(
                booking: booking.id, tickets: tickets.isEmpty ? nil : tickets, reason: .refunded,
                gatewayKey: GatewayKey.webRefund(booking: booking.id, nonce: nonce), now: clock.now(), logger: context.logger)
        } catch let error as DomainError where error.isFormProblem {
            let current = try await bookings.booking(id: booking.id, logger: context.logger) ?? booking
            return try bookingPage(
                current, event: event, notice: nil, problem: error.formProblem, status: error.status, context: context)
        }
        return .redirect(to: "/organizer/bookings/\(Self.id(booking.id))?notice=refunded")
    }
}
