import Foundation

/// What the web site knows about a browser request, set by ``WebSessionMiddleware``.
struct WebState: Sendable {
    /// The signed-in user, when the session cookie is live.
    var user: User?
    /// The session the cookie belongs to.
    var sessionID: UUID?
    /// The token every form of this page carries back (`_csrf`), equal to the CSRF cookie.
    var csrfToken = ""
    /// A fresh CSRF cookie to set on the response (the browser had none).
    var setsCSRFCookie = false
    /// The submitted form of a POST, already checked against ``csrfToken``.
    var form = FormData(pairs: [])
}

/// Names and attributes of the site's cookies: HTTP-only, SameSite, `Secure` unless the
/// server was told it is served over plain HTTP on a development machine.
struct WebCookies: Sendable {
    static let session = "spot_session"
    static let csrf = "spot_csrf"

    let secure: Bool
}
