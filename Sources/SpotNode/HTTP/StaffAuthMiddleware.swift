import Hummingbird
import SpotCore

/// Lets a request through only with a live staff session (`Authorization: Bearer TOKEN`
/// from `POST /api/v1/session`); each one restarts the session's idle timer.
struct StaffAuthMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let sessions: StaffSessions

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = request.bearerToken, sessions.validate(token) != nil else {
            throw NodeAPIError.signInRequired
        }
        return try await next(request, context)
    }
}

extension NodeAPIError {
    static let signInRequired = NodeAPIError(
        .unauthorized, code: .signInRequired, message: "Sign in with the staff PIN first (or again: the session ended).",
        headers: [.wwwAuthenticate: "Bearer"])
}

extension Request {
    /// The token of an `Authorization: Bearer …` header.
    var bearerToken: String? {
        guard let value = headers[.authorization], value.count > 7, value.prefix(7).lowercased() == "bearer " else { return nil }
        return String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }
}
