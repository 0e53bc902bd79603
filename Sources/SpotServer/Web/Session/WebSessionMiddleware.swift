import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import SpotSync

/// Runs before every page: finds the signed-in user from the session cookie, gives the
/// browser a CSRF cookie bound to its session (a new one when it has none, or one issued for
/// another session or for signed-out browsing), and for every POST reads the form and refuses
/// it unless its `_csrf` field equals that cookie, the cookie was issued by this site for this
/// session (``FormKeys``: a pair a client chose is refused), and any `Origin` header is this
/// site. The session cookie is also SameSite=Lax. Adds the security headers every page carries.
struct WebSessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let sessions: WebSessionRepository
    let cookies: WebCookies
    let formKeys: FormKeys
    let clock: ServerClock

    /// What a CSRF token is bound to: the session, or signed-out browsing.
    static func csrfBinding(session: UUID?) -> String { session.map { "session:\($0.lowercasedText)" } ?? "signed-out" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        let now = clock.now()
        if let token = request.cookies[WebCookies.session]?.value,
            let (user, sessionID) = try await sessions.user(token: token, now: now, logger: context.logger)
        {
            context.web.user = user
            context.web.sessionID = sessionID
            context.identity = Identity(userID: user.id, role: user.role, credential: .session(sessionID))
            context.logger[metadataKey: "user"] = .string(user.id.uuidString.lowercased())
        }
        let binding = Self.csrfBinding(session: context.web.sessionID)
        if let csrf = request.cookies[WebCookies.csrf]?.value, formKeys.verify(csrf, .csrf, boundTo: binding) != nil {
            context.web.csrfToken = csrf
        } else {
            context.web.csrfToken = formKeys.issue(.csrf, boundTo: binding)
            context.web.setsCSRFCookie = true
        }
        if request.method == .post {
            try checkOrigin(request)
            context.web.form = try await Self.form(&request, context: context)
            let sent = context.web.form["_csrf"] ?? ""
            guard !context.web.setsCSRFCookie, FormKeys.constantTimeEqual(sent, context.web.csrfToken) else {
                throw WebError.csrfRejected
            }
        }
        var response = try await next(request, context)
        if context.web.setsCSRFCookie {
            response.setCookie(Cookie(
                name: WebCookies.csrf, value: context.web.csrfToken, path: "/", secure: cookies.secure, httpOnly: true,
                sameSite: .strict))
        }
        Self.addSecurityHeaders(&response.headers)
        return response
    }

    /// A cross-site POST carries another `Origin`: refuse it before reading anything.
    private func checkOrigin(_ request: Request) throws {
        guard let origin = request.headers[.origin], origin != "null" else { return }
        guard let host = request.head.authority,
            let url = URL(string: origin), let originHost = url.host
        else { throw WebError.csrfRejected }
        let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
        guard originAuthority.lowercased() == host.lowercased() else { throw WebError.csrfRejected }
    }

    /// The POST body as a form (at most 64 KiB, `application/x-www-form-urlencoded`).
    static func form(_ request: inout Request, context: Context) async throws -> FormData {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            throw WebError.page(.unsupportedMediaType, "This page accepts only forms sent by a browser.")
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: 64 * 1024)
        } catch {
            throw WebError.page(.contentTooLarge, "That form was too large to accept.")
        }
        return try WebError.refusingBadText { () throws(InputText.Problem) in try FormData(urlEncoded: String(buffer: body)) }
    }

    /// No framing, no sniffing, scripts and styles from this site only, no referrer leaks.
    static func addSecurityHeaders(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            + "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "same-origin"
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
