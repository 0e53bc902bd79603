import Foundation
import Logging

/// Who may see and change an event, for the API and the web site alike.
struct EventAccess: Sendable {
    let events: EventRepository
    let organizers: OrganizerRepository

    /// Whether `identity` may see `event`: published and cancelled events are public,
    /// drafts only to their organizer and admins.
    func visible(_ event: Event, to identity: Identity?, logger: Logger) async throws -> Bool {
        if event.status != .draft { return true }
        guard let identity else { return false }
        if identity.role == .admin { return true }
        guard identity.role == .organizer else { return false }
        return try await organizers.organizer(userID: identity.userID, logger: logger)?.id == event.organizerID
    }

    /// The event if `identity` may see it, else 404.
    func visibleEvent(_ id: UUID, to identity: Identity?, logger: Logger) async throws -> Event {
        guard let event = try await events.event(id: id, logger: logger), try await visible(event, to: identity, logger: logger)
        else { throw DomainError.notFound("Event") }
        return event
    }

    /// The event, if `identity` owns it (admins too when `adminMay`): 404 when they may
    /// not even see it, 403 when they may see it but it is not theirs.
    func owned(_ id: UUID, by identity: Identity, adminMay: Bool = false, logger: Logger) async throws -> (Event, Organizer?) {
        let event = try await visibleEvent(id, to: identity, logger: logger)
        if adminMay, identity.role == .admin { return (event, nil) }
        let organizer = try await organizers.requireOwnProfile(identity, logger: logger)
        guard organizer.id == event.organizerID else {
            throw DomainError.forbidden("This event belongs to another organizer.")
        }
        return (event, organizer)
    }
}
