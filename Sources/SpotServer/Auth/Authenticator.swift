import Foundation
import Hummingbird

/// Reads `Authorization: Bearer …` and sets ``AppRequestContext/identity``.
/// No header: the request goes on anonymous (routes that need a caller answer 401).
/// A header that does not check out — bad signature, expired, revoked session or
/// token — is a 401 at once. A session is checked against the sessions this process keeps
/// (``LiveSessions``): a revocation takes effect on this replica's next request, and on every
/// other replica as soon as PostgreSQL's notification arrives (while notifications are not
/// arriving, each check reads PostgreSQL).
struct Authenticator: RouterMiddleware {
    typealias Context = AppRequestContext

    let tokens: AccessTokens
    let repository: AuthRepository
    let clock: ServerClock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.lowercased().hasPrefix("bearer ") else {
            throw DomainError.unauthenticated("Use 'Authorization: Bearer <token>'.", code: .tokenInvalid)
        }
        let token = header.dropFirst("bearer ".count).trimmingWhitespace()
        let now = clock.now()
        var context = context
        if token.hasPrefix(OpaqueToken.systemPrefix) {
            guard let identity = try await repository.systemTokenIdentity(token: token, now: now, logger: context.logger)
            else { throw DomainError.unauthenticated("The system token is unknown, expired or revoked.", code: .tokenRevoked) }
            context.identity = identity
        } else {
            let (userID, sessionID) = try await tokens.verify(token, now: now)
            guard
                let identity = try await repository.sessionIdentity(
                    sessionID: sessionID, userID: userID, now: now, logger: context.logger)
            else { throw DomainError.unauthenticated("This session has ended: sign in again.", code: .tokenRevoked) }
            context.identity = identity
        }
        context.logger[metadataKey: "user"] = .string(context.identity!.userID.uuidString.lowercased())
        return try await next(request, context)
    }
}

/// The server's wall clock, injected so tests can move time.
public struct ServerClock: Sendable {
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    public static let system = ServerClock { Date() }
}
