import Foundation
import Hummingbird

/// Sign up, sign in, sign out, and the account page (name and phone, notification
/// preferences, recent notifications).
struct AccountPages: Sendable {
    let pages: PageRenderer
    let accounts: AccountService
    let auth: AuthRepository
    let sessions: WebSessionRepository
    let preferences: NotificationPreferences
    let contacts: ContactDetails
    let cookies: WebCookies
    let formKeys: FormKeys
    let clock: ServerClock

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("signin", use: signInPage)
        site.post("signin", use: signIn)
        site.get("signup", use: signUpPage)
        site.post("signup", use: signUp)
        site.post("signout", use: signOut)
        site.get("account", use: account)
        site.post("account/notifications", use: savePreferences)
        site.post("account/profile", use: saveProfile)
    }

    /// Where to go after signing in: an absolute path on this site, or `/`. Only the characters
    /// of a URL path and query are allowed (RFC 3986), so no `//host`, no backslash (which browsers
    /// read as a slash) and no control character (browsers drop tabs and newlines, turning `/⇥/host`
    /// into `//host`) can lead anywhere else.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"),
            next.unicodeScalars.allSatisfy({ $0.isASCII && Self.pathCharacters.contains(Character($0)) })
        else { return "/" }
        return next
    }

    private static let pathCharacters = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?%#")

    // MARK: Sign in

    @Sendable func signInPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
        if context.web.user != nil { return .redirect(to: next) }
        return try pages.render("signin", title: "Sign in", page: SignInPage(next: next, email: "", problem: nil), web: context.web)
    }

    /// The sign-in form: where to go after, the address as typed, why it was refused.
    struct SignInPage {
        let next: String
        let email: String
        let problem: String?
    }

    @Sendable func signIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = context.web.form
        let email = form["email"] ?? "", next = Self.safeNext(form["next"])
        do {
            let user = try await accounts.verify(
                email: email, password: form["password"] ?? "", clientAddress: context.clientAddress, logger: context.logger)
            let (sessionID, _) = try await auth.startSession(
                userID: user.id, clientAddress: context.clientAddress, now: clock.now(), logger: context.logger)
            return try await signedIn(sessionID: sessionID, redirect: next, context: context)
        } catch let error as DomainError where error.kind == .unauthenticated || error.code == .rateLimited {
            var response = try pages.render(
                "signin", title: "Sign in", page: SignInPage(next: next, email: email, problem: error.message),
                web: context.web, status: error.status)
            if case .tooManyAttempts(let seconds) = error.kind { response.headers[.retryAfter] = String(seconds) }
            return response
        }
    }

    /// Sets the session cookie (and a CSRF cookie bound to the new session: a token seen before
    /// signing in is not reused) and redirects.
    private func signedIn(sessionID: UUID, redirect: String, context: AppRequestContext) async throws -> Response {
        let token = try await sessions.attach(sessionID: sessionID, now: clock.now(), logger: context.logger)
        var response = Response.redirect(to: redirect)
        response.setCookie(Cookie(
            name: WebCookies.session, value: token, maxAge: Int(AuthRepository.sessionLifetime), path: "/",
            secure: cookies.secure, httpOnly: true, sameSite: .lax))
        response.setCookie(Cookie(
            name: WebCookies.csrf, value: formKeys.issue(.csrf, boundTo: WebSessionMiddleware.csrfBinding(session: sessionID)),
            path: "/", secure: cookies.secure,
            httpOnly: true, sameSite: .strict))
        return response
    }

    // MARK: Sign up

    @Sendable func signUpPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        if context.web.user != nil { return .redirect(to: "/") }
        return try pages.render(
            "signup", title: "Sign up", page: SignUpPage(form: SignUpForm(), errors: [:]), web: context.web)
    }

    struct SignUpForm {
        var displayName = "", email = "", organizer = false, organizerName = ""
        var problem: String?
        var errors: [String: String] = [:]
    }

    /// The sign-up form as sent, with what was wrong with each field.
    struct SignUpPage {
        let form: SignUpForm
        let errors: [String: String]
    }

    @Sendable func signUp(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = context.web.form
        var page = SignUpForm(
            displayName: form["display_name"] ?? "", email: form["email"] ?? "", organizer: form["organizer"] == "yes",
            organizerName: form["organizer_name"] ?? "")
        do {
            let (_, sessionID, _) = try await accounts.register(
                .init(
                    email: page.email, password: form["password"] ?? "", displayName: page.displayName,
                    role: page.organizer ? "organizer" : "attendee",
                    organizerName: page.organizerName.isEmpty ? nil : page.organizerName),
                clientAddress: context.clientAddress, now: clock.now(), logger: context.logger)
            return try await signedIn(sessionID: sessionID, redirect: "/?notice=welcome", context: context)
        } catch let error as DomainError where error.isFormProblem || error.code == .rateLimited {
            page.problem = error.status == .unprocessableContent ? "Please correct the fields marked below." : error.message
            page.errors = error.fields ?? [:]
            return try pages.render(
                "signup", title: "Sign up", page: SignUpPage(form: page, errors: page.errors), web: context.web,
                status: error.status)
        }
    }

    // MARK: Sign out

    @Sendable func signOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let sessionID = context.web.sessionID {
            try await auth.revokeSession(sessionID, reason: "logout", now: clock.now(), logger: context.logger)
        }
        var response = Response.redirect(to: "/?notice=signed_out")
        response.setCookie(Cookie(
            name: WebCookies.session, value: "", maxAge: 0, path: "/", secure: cookies.secure, httpOnly: true, sameSite: .lax))
        return response
    }

    // MARK: Account

    @Sendable func account(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        return try await accountPage(
            identity, notice: Notice.message(request.uri.queryParameters["notice"].map(String.init)), context: context)
    }

    private func accountPage(
        _ identity: Identity, notice: String?, problem: String? = nil, values: [String: String]? = nil,
        status: HTTPResponse.Status = .ok, context: AppRequestContext
    ) async throws -> Response {
        guard let user = context.web.user else { throw DomainError.unauthenticated }
        let current = try await preferences.current(user: identity.userID, logger: context.logger)
        let phone = try await contacts.phone(user: identity.userID, logger: context.logger)
        let recent = try await contacts.notifications(user: identity.userID, limit: 20, logger: context.logger)
        let kinds = NotificationKind.allCases.map { kind in
            AccountPage.Kind(
                kind: Self.label(kind),
                channels: NotificationChannel.allCases.map { channel in
                    .init(
                        name: "\(channel.rawValue).\(kind.rawValue)", label: channel.rawValue,
                        checked: current.first { $0.channel == channel && $0.kind == kind }?.enabled ?? true)
                })
        }
        return try pages.render(
            "account", title: "Your account",
            page: AccountPage(
                name: user.displayName, email: user.email, role: user.role.rawValue, kinds: kinds,
                channels: NotificationChannel.allCases.map(\.rawValue), notice: notice, problem: problem,
                values: values ?? ["display_name": user.displayName, "phone": phone ?? ""],
                notifications: recent.map {
                    .init(
                        subject: $0.subject, channel: $0.channel.rawValue, to: $0.recipient, status: $0.status,
                        when: Formatting.dateTime($0.createdAt))
                },
                hasNotifications: !recent.isEmpty),
            web: context.web, status: status)
    }

    /// The account: details, notification preferences (a kind per row, a channel per column), recent notifications.
    struct AccountPage {
        struct Kind {
            struct Channel {
                let name: String
                let label: String
                let checked: Bool
            }

            let kind: String
            let channels: [Channel]
        }

        struct Sent {
            let subject: String
            let channel: String
            let to: String
            let status: String
            let when: String
        }

        let name: String
        let email: String
        let role: String
        let kinds: [Kind]
        let channels: [String]
        let notice: String?
        let problem: String?
        let values: [String: String]
        let notifications: [Sent]
        let hasNotifications: Bool
    }

    static func label(_ kind: NotificationKind) -> String {
        switch kind {
        case .bookingConfirmed: "Booking confirmations"
        case .refund: "Refunds"
        case .eventChanged: "Changes to events I booked"
        case .eventCancelled: "Cancelled events"
        }
    }

    @Sendable func saveProfile(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let form = context.web.form
        let values = ["display_name": form["display_name"] ?? "", "phone": form["phone"] ?? ""]
        do {
            _ = try await contacts.update(
                user: identity.userID, displayName: values["display_name"], phone: values["phone"], now: clock.now(),
                logger: context.logger)
        } catch let error as DomainError where error.kind == .invalid {
            return try await accountPage(
                identity, notice: nil, problem: error.formProblem, values: values, status: .unprocessableContent, context: context)
        }
        return .redirect(to: "/account?notice=details_saved")
    }

    /// One checkbox per channel × kind; an unchecked box is simply absent from the form.
    @Sendable func savePreferences(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let checked = Set(context.web.form.pairs.filter { $0.1 == "on" }.map(\.0))
        let chosen = NotificationChannel.allCases.flatMap { channel in
            NotificationKind.allCases.map { kind in
                NotificationPreferences.Preference(
                    channel: channel, kind: kind, enabled: checked.contains("\(channel.rawValue).\(kind.rawValue)"))
            }
        }
        try await preferences.set(chosen, user: identity.userID, logger: context.logger)
        return .redirect(to: "/account?notice=preferences_saved")
    }
}
