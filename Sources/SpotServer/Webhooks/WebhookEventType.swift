/// What a webhook can announce; an endpoint subscribes to some of them. Each is queued by a
/// database trigger in the transaction of the change itself (migration 17), so a change and
/// its announcement commit together, whichever path made the change (the API, the web site, a
/// node's push). Payloads: `docs/webhooks.md`.
enum WebhookEventType: String, CaseIterable, Codable, Sendable {
    case bookingPaid = "booking.paid"
    case ticketRefunded = "ticket.refunded"
    case ticketReissued = "ticket.reissued"
    case checkinCreated = "checkin.created"
    case doorSaleCreated = "door_sale.created"
    case conflictCreated = "conflict.created"
    case eventCancelled = "event.cancelled"
    /// Sent only by "send test" to one endpoint, whatever it subscribes to.
    case test = "webhook.test"

    /// The types an endpoint may subscribe to.
    static let subscribable = allCases.filter { $0 != .test }
}
