import Foundation
import Hummingbird
import SpotQR

/// The buyer's side: checkout, bookings and payments, the wallet with QR codes.
struct BookingPages: Sendable {
    let pages: PageRenderer
    let events: EventRepository
    let bookings: BookingRepository
    let checkout: CheckoutService
    let tickets: TicketRepository
    let formKeys: FormKeys
    let gate: WaitingRoomGate
    let holdDuration: TimeInterval
    let clock: ServerClock

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("bookings", use: list)
        site.get("bookings/:id", use: show)
        site.get("bookings/:id/checkout", use: checkoutPage)
        site.post("bookings/:id/checkout", use: pay)
        site.post("bookings/:id/cancel", use: cancel)
        site.post("bookings/:id/retry", use: retry)
        site.get("wallet", use: wallet)
        site.get("wallet/print", use: printableWallet)
        site.get("wallet/tickets/:id/qr.png", use: qrCode)
        site.post("wallet/tickets/:id/reissue", use: reissue)
    }

    /// The caller's own booking, or 404 (someone else's booking does not exist for them).
    private func ownBooking(_ context: AppRequestContext) async throws -> (Booking, Identity) {
        let identity = try context.requireIdentity()
        guard let booking = try await bookings.booking(id: try context.parameters.requireUUID("id"), logger: context.logger),
            booking.userID == identity.userID
        else { throw WebError.notFound("This booking") }
        return (booking, identity)
    }

    /// A booking as the buyer's pages show it (the booking page, and each row of the list).
    struct BookingView {
        struct Item {
            let name: String
            let quantity: Int
            let unit: String
        }

        let id: String
        let eventID: String
        let eventTitle: String
        let status: String
        let items: [Item]
        let quantity: Int
        let total: String
        let refunded: String?
        let created: String
        let isHeld: Bool
        let isPaid: Bool
        let tickets: [TicketView]
        var notice: String?

        init(_ booking: Booking, eventTitle: String, notice: String? = nil) {
            id = booking.id.lowercasedText
            eventID = booking.eventID.lowercasedText
            self.eventTitle = eventTitle
            status = booking.status.rawValue
            items = booking.items.map {
                Item(name: $0.name, quantity: $0.quantity, unit: Formatting.money($0.unitPriceMinor, booking.currency))
            }
            quantity = booking.quantity
            total = Formatting.money(booking.totalMinor, booking.currency)
            refunded = booking.refundedMinor > 0 ? Formatting.money(booking.refundedMinor, booking.currency) : nil
            created = Formatting.dateTime(booking.createdAt)
            isHeld = booking.status == .held
            isPaid = booking.status == .paid
            tickets = booking.tickets.map(TicketView.init)
            self.notice = notice
        }
    }

    /// A ticket in the wallet or on its booking.
    struct TicketView {
        let id: String
        let eventTitle: String
        let type: String
        let when: String
        let venue: String
        let status: String
        let valid: Bool
        let revokedReason: String?
        let eventID: String

        init(_ ticket: Ticket) {
            id = ticket.id.lowercasedText
            eventTitle = ticket.eventTitle
            type = ticket.ticketTypeName
            when = Formatting.dateTime(ticket.startsAt)
            venue = ticket.venueName
            status = ticket.status
            valid = ticket.status == "valid"
            revokedReason = ticket.revokedReason
            eventID = ticket.eventID.lowercasedText
        }
    }

    /// The buyer's bookings and payments.
    struct BookingsPage {
        struct Payment {
            let kind: String
            let event: String
            let amount: String
            let when: String
            let reference: String
            let bookingID: String
        }

        let notice: String?
        let bookings: [BookingView]
        let hasBookings: Bool
        let payments: [Payment]
        let hasPayments: Bool
    }

    /// The wallet (and its printable copy): valid tickets, then the revoked ones.
    struct WalletPage {
        let notice: String?
        let tickets: [TicketView]
        let hasTickets: Bool
        let revoked: [TicketView]
        let hasRevoked: Bool
    }

    private func title(of event: UUID, context: AppRequestContext) async throws -> String {
        try await events.event(id: event, logger: context.logger)?.title ?? "Event"
    }

    // MARK: Bookings and payments

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let mine = try await bookings.bookings(user: identity.userID, logger: context.logger)
        var titles: [UUID: String] = [:]
        for id in Set(mine.map(\.eventID)) { titles[id] = try await title(of: id, context: context) }
        let payments = try await bookings.transactions(.user(identity.userID), logger: context.logger).items
        return try pages.render(
            "bookings", title: "Your bookings",
            page: BookingsPage(
                notice: Notice.message(request.uri.queryParameters["notice"].map(String.init)),
                bookings: mine.map { BookingView($0, eventTitle: titles[$0.eventID] ?? "Event") }, hasBookings: !mine.isEmpty,
                payments: payments.map {
                    .init(
                        kind: $0.kind == "refund" ? "Refund" : "Payment", event: $0.eventTitle,
                        amount: Formatting.money($0.amountMinor, $0.currency), when: Formatting.dateTime($0.createdAt),
                        reference: $0.reference, bookingID: $0.bookingID.lowercasedText)
                },
                hasPayments: !payments.isEmpty),
            web: context.web)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (booking, _) = try await ownBooking(context)
        let view = BookingView(
            booking, eventTitle: try await title(of: booking.eventID, context: context),
            notice: Notice.message(request.uri.queryParameters["notice"].map(String.init)))
        return try pages.render("booking", title: "Booking", page: view, web: context.web)
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (booking, identity) = try await ownBooking(context)
        _ = try await bookings.cancel(booking.id, user: identity.userID, now: clock.now(), logger: context.logger)
        return .redirect(to: "/bookings/\(booking.id.uuidString.lowercased())?notice=cancelled")
    }

    /// After a decline the seats were released: hold the same tickets again and return to checkout.
    @Sendable func retry(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (booking, identity) = try await ownBooking(context)
        let again = try BookingRepository.Request.validated(
            eventID: booking.eventID, items: booking.items.map { ($0.ticketTypeID, $0.quantity) })
        do {
            let now = clock.now()
            let fresh = try await bookings.hold(
                again, user: identity.userID,
                admittedByWaitingRoom: gate.admits(
                    WaitingRoomPages.pass(request, event: booking.eventID), event: booking.eventID, user: identity.userID, now: now),
                holdDuration: holdDuration, now: now, logger: context.logger)
            return .redirect(to: "/bookings/\(fresh.id.uuidString.lowercased())/checkout")
        } catch let error as DomainError where error.kind == .conflict {
            throw WebError.page(.conflict, error.message + " Choose again on the event page.", title: "Those tickets are gone")
        }
    }

    // MARK: Checkout

    @Sendable func checkoutPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (booking, identity) = try await ownBooking(context)
        if booking.status == .paid { return .redirect(to: "/bookings/\(booking.id.uuidString.lowercased())?notice=paid") }
        return try await checkoutForm(
            booking, key: formKeys.issue(.checkout, boundTo: FormKeys.binding(booking: booking.id, user: identity.userID)),
            problem: nil, errors: [:], context: context)
    }

    private func checkoutForm(
        _ booking: Booking, key: String, problem: String?, errors: [String: String], declined: Bool = false,
        status: HTTPResponse.Status = .ok, context: AppRequestContext
    ) async throws -> Response {
        let view = CheckoutPage(
            booking: BookingView(booking, eventTitle: try await title(of: booking.eventID, context: context)), key: key,
            problem: problem, declined: declined, errors: errors, expiresAt: booking.expiresAt.map(Formatting.iso),
            expires: booking.expiresAt.map { Formatting.dateTime($0) },
            testCards: [
                .init(number: "4242 4242 4242 4242", outcome: "approved"),
                .init(number: "4000 0000 0000 0002", outcome: "declined"),
                .init(number: "4000 0000 0000 9995", outcome: "declined: insufficient funds"),
            ])
        return try pages.render("checkout", title: "Checkout", page: view, web: context.web, status: status)
    }

    /// The checkout form of a held booking (the template reads the booking's fields inside `{{#booking}}`).
    struct CheckoutPage {
        struct TestCard {
            let number: String
            let outcome: String
        }

        let booking: BookingView
        /// The form's idempotency key, bound to this booking and buyer.
        let key: String
        let problem: String?
        let declined: Bool
        let errors: [String: String]
        let expiresAt: String?
        let expires: String?
        let testCards: [TestCard]
    }

    /// Charges the card. The form's key, issued for this booking and buyer, makes the submit
    /// idempotent: sent twice, the gateway charges once and both answers show the paid booking.
    /// A key issued for another booking (or made up) charges nothing.
    @Sendable func pay(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (booking, identity) = try await ownBooking(context)
        let form = context.web.form
        let binding = FormKeys.binding(booking: booking.id, user: identity.userID)
        let sentKey = form["idempotency_key"] ?? ""
        let nonce = formKeys.verify(sentKey, .checkout, boundTo: binding)
        // The form shown again keeps its key (a retry must not charge twice), or gets one for this booking.
        let key = nonce == nil ? formKeys.issue(.checkout, boundTo: binding) : sentKey
        let now = clock.now()
        let card: PaymentCard
        switch PaymentCard.parse(number: form["card_number"] ?? "", expiry: form["expiry"] ?? "", cvc: form["cvc"] ?? "", now: now) {
        case .success(let parsed): card = parsed
        case .failure(let error):
            return try await checkoutForm(
                booking, key: key, problem: "Check the card details.",
                errors: Dictionary(uniqueKeysWithValues: (error.fields ?? [:]).map {
                    (String($0.key.split(separator: ".").last ?? ""), $0.value)
                }),
                status: .unprocessableContent, context: context)
        }
        guard let nonce else {
            return try await checkoutForm(
                booking, key: key, problem: DomainError.formExpired.message, errors: [:], status: .unprocessableContent,
                context: context)
        }
        do {
            try await checkout.checkout(
                booking: booking.id, user: identity.userID, card: card,
                gatewayKey: GatewayKey.webCheckout(booking: booking.id, nonce: nonce), now: now, logger: context.logger)
            return .redirect(to: "/bookings/\(booking.id.uuidString.lowercased())?notice=paid")
        } catch let error as DomainError {
            let latest = try await bookings.booking(id: booking.id, logger: context.logger) ?? booking
            switch error.code {
            case .paymentDeclined:
                return try await checkoutForm(
                    latest, key: key, problem: error.message, errors: [:], declined: true, status: .paymentRequired,
                    context: context)
            case .paymentProcessorError, .paymentTimeout:
                return try await checkoutForm(
                    latest, key: key, problem: error.message, errors: [:], status: error.status, context: context)
            case .bookingExpired, .bookingNotHeld:
                return try await checkoutForm(
                    latest, key: key, problem: error.message, errors: [:], status: .conflict, context: context)
            default:
                throw error
            }
        }
    }

    // MARK: Wallet

    @Sendable func wallet(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await walletPage("wallet", title: "Your wallet", request: request, context: context)
    }

    @Sendable func printableWallet(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await walletPage("wallet_print", title: "Tickets to print", request: request, context: context)
    }

    private func walletPage(
        _ template: String, title: String, request: Request, context: AppRequestContext
    ) async throws -> Response {
        let identity = try context.requireIdentity()
        let mine = try await tickets.wallet(user: identity.userID, logger: context.logger)
        let valid = mine.filter { $0.status == "valid" }
        return try pages.render(
            template, title: title,
            page: WalletPage(
                notice: Notice.message(request.uri.queryParameters["notice"].map(String.init)),
                tickets: valid.map(TicketView.init), hasTickets: !valid.isEmpty,
                revoked: mine.filter { $0.status != "valid" }.map(TicketView.init),
                hasRevoked: mine.contains { $0.status != "valid" }),
            web: context.web)
    }

    /// A new QR code for a ticket whose code was shared or leaked: the old one stops admitting.
    @Sendable func reissue(_ request: Request, context: AppRequestContext) async throws -> Response {
        let ticket = try await tickets.ticket(
            id: try context.parameters.requireUUID("id"), visibleTo: try context.requireIdentity(), logger: context.logger)
        do {
            _ = try await tickets.reissue(ticket.id, now: clock.now(), logger: context.logger)
        } catch let error as DomainError where error.kind == .conflict {
            throw WebError.page(.conflict, error.message, title: "This ticket cannot get a new code")
        }
        return .redirect(to: "/wallet?notice=reissued")
    }

    /// The QR code of one of the caller's tickets (or one of their events' tickets, for organizers).
    @Sendable func qrCode(_ request: Request, context: AppRequestContext) async throws -> Response {
        let ticket = try await tickets.ticket(
            id: try context.parameters.requireUUID("id"), visibleTo: try context.requireIdentity(), logger: context.logger)
        let image = try QRCode(text: ticket.payload).pngData(moduleSize: 8)
        return Response(
            status: .ok, headers: [.contentType: "image/png", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: image)))
    }
}
