import Foundation

/// What the templates show of an event in a list.
struct EventCardView {
    let id: String
    let title: String
    let category: String
    let when: String
    let venue: String
    let city: String
    let price: String
    let status: String
    let isDraft: Bool
    let isCancelled: Bool
    let reason: String?

    init(_ event: Event, reason: String? = nil) {
        id = event.id.uuidString.lowercased()
        title = event.title
        category = event.category
        when = Formatting.dateTime(event.startsAt, timeZone: event.venue.timeZone)
        venue = event.venue.name
        city = event.venue.city
        price = event.priceRange.map { range in
            range.minMinor == range.maxMinor
                ? Formatting.money(range.minMinor, range.currency) : "from \(Formatting.money(range.minMinor, range.currency))"
        } ?? "No tickets yet"
        status = event.status.rawValue
        isDraft = event.status == .draft
        isCancelled = event.status == .cancelled
        self.reason = reason.map { reason in
            switch reason {
            case "organizer": "From an organizer you booked with"
            case "category": "Like events you booked"
            default: "Popular"
            }
        }
    }
}

/// Fixed confirmation messages shown after a redirect (`?notice=…`): never text taken from the URL.
enum Notice {
    static func message(_ code: String?) -> String? {
        switch code {
        case "welcome": "Welcome! Your account is ready."
        case "signed_out": "You are signed out."
        case "paid": "Payment received: your tickets are in your wallet."
        case "cancelled": "The booking was cancelled and its seats released."
        case "preferences_saved": "Your notification preferences are saved."
        case "details_saved": "Your details are saved."
        case "reissued": "The ticket has a new QR code; the old one no longer admits."
        case "event_created": "The event was created as a draft. Add ticket types, then publish it."
        case "event_published": "The event is published and on sale."
        case "event_cancelled": "The event is cancelled; its buyers are being refunded and notified."
        case "event_saved": "The event was saved."
        case "event_deleted": "The draft event was deleted."
        case "ticket_type_saved": "The ticket type was saved."
        case "ticket_type_deleted": "The ticket type was deleted."
        case "venue_saved": "The venue was saved."
        case "venue_deleted": "The venue was deleted."
        case "organizer_created": "You are an organizer now: add a venue, then your first event."
        case "organizer_deleted": "Your organizer profile was deleted; your account is an attendee account again."
        case "profile_saved": "Your organizer profile was saved."
        case "staff_created": "The door-staff account was created: give its holder the email and password."
        case "refunded": "The refund was made; the buyer is notified and the tickets no longer admit."
        case "allotment_saved": "The allotment was saved."
        case "node_revoked": "The node was revoked: it can no longer sync."
        case "conflict_resolved": "The conflict is marked resolved."
        case "waiting_room_saved": "The waiting room is saved."
        case "waiting_room_removed": "The waiting room is removed: everyone can buy at once."
        case "verified": "The organizer is verified."
        case "token_revoked": "The token is revoked: requests using it are refused from now on."
        case "webhook_test_queued": "A test delivery is on its way: it shows in the endpoint's log within seconds."
        case "webhook_deleted": "The webhook endpoint was deleted."
        default: nil
        }
    }
}
