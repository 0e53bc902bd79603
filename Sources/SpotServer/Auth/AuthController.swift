import Foundation
import Hummingbird

/// `/api/v1/auth`: registration, sign-in, refresh, sign-out, the caller, system tokens.
struct AuthController: Sendable {
    let repository: AuthRepository
    let accounts: AccountService
    let tokens: AccessTokens
    let clock: ServerClock

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("register", use: register)
        group.post("login", use: login)
        group.post("refresh", use: refresh)
        group.post("logout", use: logout)
        group.get("me", use: me)
        group.post("system-tokens", use: createSystemToken)
        group.get("system-tokens", use: listSystemTokens)
        group.delete("system-tokens/:id", use: revokeSystemToken)
    }

    struct RegisterRequest: Decodable {
        let email: String
        let password: String
        let displayName: String
        let role: String?
        let organizerName: String?
    }

    @Sendable func register(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SessionTokens> {
        let body = try await request.decodeJSON(as: RegisterRequest.self, context: context)
        let now = clock.now()
        let (user, sessionID, refresh) = try await accounts.register(
            .init(
                email: body.email, password: body.password, displayName: body.displayName, role: body.role,
                organizerName: body.organizerName),
            clientAddress: context.clientAddress, now: now, logger: context.logger)
        return .init(status: .created, response: try await sessionTokens(user, sessionID: sessionID, refresh: refresh, now: now))
    }

    struct LoginRequest: Decodable {
        let email: String
        let password: String
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> SessionTokens {
        let body = try await request.decodeJSON(as: LoginRequest.self, context: context)
        let user = try await accounts.verify(
            email: body.email, password: body.password, clientAddress: context.clientAddress, logger: context.logger)
        let now = clock.now()
        let (sessionID, refresh) = try await repository.startSession(
            userID: user.id, clientAddress: context.clientAddress, now: now, logger: context.logger)
        return try await sessionTokens(user, sessionID: sessionID, refresh: refresh, now: now)
    }

    struct RefreshRequest: Decodable {
        let refreshToken: String
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> SessionTokens {
        let attempt = try await accounts.limiter.reserve(accounts.limiter.addressLimit(context.clientAddress), logger: context.logger)
        let body = try await request.decodeJSON(as: RefreshRequest.self, context: context)
        let now = clock.now()
        switch try await repository.rotate(refreshToken: body.refreshToken, now: now, logger: context.logger) {
        case .rotated(let user, let sessionID, let refresh):
            // Only unknown or reused tokens count against the address.
            try await accounts.limiter.forgive(attempt, logger: context.logger)
            return try await sessionTokens(user, sessionID: sessionID, refresh: refresh, now: now)
        case .reused:
            context.logger.warning("refresh token reused: session revoked")
            throw DomainError.unauthenticated(
                "This refresh token was already used, so it may have been stolen: the session is revoked. Sign in again.",
                code: .refreshTokenReused)
        case .invalid:
            throw DomainError.unauthenticated("The refresh token is unknown, expired or revoked.", code: .tokenInvalid)
        }
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        guard case .session(let sessionID) = identity.credential else {
            throw DomainError.badRequest("System tokens are revoked with DELETE /api/v1/auth/system-tokens/{id}.")
        }
        try await repository.revokeSession(sessionID, reason: "logout", now: clock.now(), logger: context.logger)
        return .noContent
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> User {
        let identity = try context.requireIdentity()
        guard let user = try await repository.user(id: identity.userID, logger: context.logger) else {
            throw DomainError.unauthenticated
        }
        return user
    }

    struct SystemTokenRequest: Decodable {
        let name: String
    }

    struct CreatedSystemToken: ResponseEncodable {
        /// The secret, shown only now.
        let token: String
        let systemToken: SystemTokenInfo
    }

    @Sendable func createSystemToken(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<CreatedSystemToken> {
        let identity = try context.requireIdentity()
        try identity.require(.organizer, .admin, to: "create system tokens")
        guard case .session = identity.credential else {
            throw DomainError.forbidden("A system token cannot create system tokens; sign in as a person.")
        }
        let body = try await request.decodeJSON(as: SystemTokenRequest.self, context: context)
        var validator = Validator()
        let name = validator.text(body.name, "name", maxLength: 100)
        try validator.throwIfInvalid()
        let (token, info) = try await repository.createSystemToken(
            userID: identity.userID, name: name!, now: clock.now(), logger: context.logger)
        return .init(status: .created, response: .init(token: token, systemToken: info))
    }

    struct SystemTokenList: ResponseEncodable {
        let items: [SystemTokenInfo]
    }

    @Sendable func listSystemTokens(_ request: Request, context: AppRequestContext) async throws -> SystemTokenList {
        let identity = try context.requireIdentity()
        return .init(items: try await repository.systemTokens(userID: identity.userID, logger: context.logger))
    }

    @Sendable func revokeSystemToken(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let id = try context.parameters.requireUUID("id")
        guard try await repository.revokeSystemToken(id: id, userID: identity.userID, now: clock.now(), logger: context.logger)
        else { throw DomainError.notFound("System token") }
        return .noContent
    }

    private func sessionTokens(_ user: User, sessionID: UUID, refresh: String, now: Date) async throws -> SessionTokens {
        SessionTokens(
            user: user,
            accessToken: try await tokens.issue(userID: user.id, role: user.role, sessionID: sessionID, now: now),
            refreshToken: refresh, tokenType: "Bearer", expiresIn: Int(AccessTokens.lifetime), sessionID: sessionID)
    }
}

extension SessionTokens: ResponseEncodable {}
extension User: ResponseEncodable {}

extension Parameters {
    /// A UUID path parameter, or 404 (a malformed id names no resource).
    func requireUUID(_ name: String) throws -> UUID {
        guard let text = self.get(name), let id = UUID(uuidString: text) else {
            throw DomainError.notFound("Resource")
        }
        return id
    }
}
