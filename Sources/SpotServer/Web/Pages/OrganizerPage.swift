import Foundation
import Hummingbird

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

    /// A 422's fields as one sentence for the top of a form, in words (`starts at`, not `starts_at`).
    static func problem(_ error: APIError) -> String {
        guard let fields = error.fields, !fields.isEmpty else { return error.message }
        return "Please correct: " + fields.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            .joined(separator: "; ").replacingOccurrences(of: "_", with: " ") + "."
    }

    /// The statuses a form's rejection may have: shown on the form again, not as an error page.
    static func isFormProblem(_ error: APIError) -> Bool {
        [.unprocessableContent, .conflict].contains(error.status)
    }
}
