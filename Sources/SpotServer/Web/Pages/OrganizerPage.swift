import Foundation
import Hummingbird
import Logging

/// What every organizer page needs: the signed-in organizer, the confirmation notice, ids
/// in URLs, and a rejected form's fields as one sentence.
protocol OrganizerPage {
    var organizers: OrganizerRepository { get }
}

extension OrganizerPage {
    /// The caller's organizer profile (401 when signed out, 403 when not an organizer).
    func organizer(_ context: AppRequestContext) async throws -> (Organizer, Identity) {
        let identity = try context.requireIdentity()
        return (try await organizers.requireOwnProfile(identity, logger: context.logger), identity)
    }

    func notice(_ request: Request) -> String? {
        Notice.message(request.uri.queryParameters["notice"].map(String.init))
    }

    static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    /// The event `id` when the caller owns it, for a page about something of that event (a
    /// ticket type, a booking): any 404 on the way is a 404 for `what`, as in the API.
    func ownedEvent(_ id: UUID, by identity: Identity, access: EventAccess, what: String, logger: Logger) async throws -> Event {
        do {
            return try await access.owned(id, by: identity, logger: logger).0
        } catch let error as DomainError where error.kind == .notFound {
            throw WebError.notFound(what)
        }
    }

}
