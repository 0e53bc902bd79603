import Foundation
import Hummingbird

/// System tokens for an organizer's or admin's integrations (scripts, box-office tools): list,
/// create (the secret is shown once, on that response only), revoke.
struct TokenPages: Sendable {
    let pages: PageRenderer
    let auth: AuthRepository
    let clock: ServerClock

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("account/tokens", use: list)
        site.post("account/tokens", use: create)
        site.post("account/tokens/:id/revoke", use: revoke)
    }

    private func allowed(_ context: AppRequestContext) throws -> Identity {
        let identity = try context.requireIdentity()
        try identity.require(.organizer, .admin, to: "create system tokens")
        return identity
    }

    private func page(
        _ identity: Identity, secret: (String, String)?, problem: String?, notice: String?, status: HTTPResponse.Status,
        context: AppRequestContext
    ) async throws -> Response {
        let tokens = try await auth.systemTokens(userID: identity.userID, logger: context.logger)
        func when(_ date: Date?) -> String { date.map { Formatting.dateTime($0) } ?? "never" }
        return try pages.render(
            "tokens", title: "API tokens",
            page: TokensPage(
                secret: secret.map { .init(name: $0.0, token: $0.1) }, problem: problem, notice: notice,
                tokens: tokens.map {
                    .init(
                        id: $0.id.lowercasedText, name: $0.name, created: when($0.createdAt), expires: when($0.expiresAt),
                        lastUsed: when($0.lastUsedAt), active: $0.revokedAt == nil)
                },
                hasTokens: !tokens.isEmpty),
            web: context.web, status: status)
    }

    /// The caller's system tokens, and a new one's secret the one time it is shown.
    struct TokensPage {
        struct Secret {
            let name: String
            let token: String
        }

        struct Token {
            let id: String
            let name: String
            let created: String
            let expires: String
            let lastUsed: String
            let active: Bool
        }

        let secret: Secret?
        let problem: String?
        let notice: String?
        let tokens: [Token]
        let hasTokens: Bool
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await page(
            try allowed(context), secret: nil, problem: nil,
            notice: Notice.message(request.uri.queryParameters["notice"].map(String.init)), status: .ok, context: context)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try allowed(context)
        var validator = Validator()
        let name = validator.text(context.web.form["name"], "name", maxLength: 100)
        guard let name, validator.problems.isEmpty else {
            return try await page(
                identity, secret: nil, problem: "Give the token a name of 1 to 100 characters.", notice: nil,
                status: .unprocessableContent, context: context)
        }
        let (token, _) = try await auth.createSystemToken(userID: identity.userID, name: name, now: clock.now(), logger: context.logger)
        // Shown once, on this response only: never put in a URL or a log.
        return try await page(identity, secret: (name, token), problem: nil, notice: nil, status: .ok, context: context)
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try allowed(context)
        guard try await auth.revokeSystemToken(
            id: try context.parameters.requireUUID("id"), userID: identity.userID, now: clock.now(), logger: context.logger)
        else { throw WebError.notFound("This token") }
        return .redirect(to: "/account/tokens?notice=token_revoked")
    }
}
