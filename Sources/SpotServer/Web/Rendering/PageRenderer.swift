import Foundation
import Hummingbird
import Mustache

/// Renders the site's Mustache templates (bundled with the server) inside the layout.
/// Every value is HTML-escaped by `{{…}}`; only the rendered page body itself is
/// inserted raw into the layout (`{{{body}}}`).
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    /// Loads every template of `Web/Templates`.
    static func load() async throws -> PageRenderer {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw WebRendererError.missingResources("Templates")
        }
        return PageRenderer(library: try await MustacheLibrary(directory: folder.path))
    }

    /// What every page's template sees: its typed model under `page`, the form token, the user.
    struct Frame {
        let page: Any
        let csrf: String
        let user: LayoutUser?
    }

    /// What the layout sees around a rendered page.
    struct Layout {
        let title: String
        let body: String
        let csrf: String
        let user: LayoutUser?
        /// Without script, the browser reloads the page this often (seconds).
        let refresh: Int?
    }

    /// The error page's model.
    struct ErrorPage {
        let title: String
        let message: String
        let retry: Bool
        let code: Int
    }

    /// The page `template`, rendered with its typed model `page` (one struct per page; Mustache
    /// reads its properties, an optional one absent when nil), inside the layout;
    /// `refreshSeconds`: a browser without script reloads it that often.
    func render(
        _ template: String, title: String, page: Any, web: WebState, status: HTTPResponse.Status = .ok,
        refreshSeconds: Int? = nil
    ) throws -> Response {
        let user = web.user.map(LayoutUser.init)
        guard let body = library.render(Frame(page: page, csrf: web.csrfToken, user: user), withTemplate: template) else {
            throw WebRendererError.missingTemplate(template)
        }
        let layout = Layout(title: title, body: body, csrf: web.csrfToken, user: user, refresh: refreshSeconds)
        guard let html = library.render(layout, withTemplate: "layout") else { throw WebRendererError.missingTemplate("layout") }
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// `template` rendered with `model` alone, outside the layout (a piece of a page a script swaps in).
    func fragment(_ template: String, _ model: Any) throws -> String {
        guard let html = library.render(model, withTemplate: template) else {
            throw WebRendererError.missingTemplate(template)
        }
        return html
    }

    /// An error page that needs nothing but the error (no database, no session).
    func errorPage(_ error: WebError, retry: Bool) -> Response {
        let page = ErrorPage(title: error.title, message: error.message, retry: retry, code: Int(error.status.code))
        do {
            return try render("error", title: error.title, page: page, web: WebState(), status: error.status)
        } catch {
            return Response(
                status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "Something went wrong on our side.")))
        }
    }
}

/// The signed-in user as the layout shows them.
struct LayoutUser {
    let name: String
    let isOrganizer: Bool
    let isAdmin: Bool
    let isAttendee: Bool
    let canCheckIn: Bool

    init(_ user: User) {
        name = user.displayName
        isOrganizer = user.role == .organizer
        isAdmin = user.role == .admin
        isAttendee = user.role == .attendee
        canCheckIn = user.role != .attendee
    }
}

enum WebRendererError: Error, CustomStringConvertible {
    case missingResources(String)
    case missingTemplate(String)

    var description: String {
        switch self {
        case .missingResources(let name): "the server's bundled \(name) folder is missing (SpotServer resources)"
        case .missingTemplate(let name): "no template named \(name)"
        }
    }
}
