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

    /// The page `template`, rendered with `page` under the key `page` beside `csrf` and `user`,
    /// inside the layout; `refreshSeconds`: a browser without script reloads it that often.
    func render(
        _ template: String, title: String, page: Any = [String: String](), web: WebState, status: HTTPResponse.Status = .ok,
        refreshSeconds: Int? = nil
    ) throws -> Response {
        let user = web.user.map(LayoutUser.init)
        let frame = Self.withoutNils(["page": page, "csrf": web.csrfToken, "user": user as Any]) ?? [:]
        guard let body = library.render(frame, withTemplate: template) else {
            throw WebRendererError.missingTemplate(template)
        }
        let layout = Self.withoutNils([
            "title": title, "body": body, "csrf": web.csrfToken, "user": user as Any, "refresh": refreshSeconds as Any,
        ]) ?? [:]
        guard let html = library.render(layout, withTemplate: "layout") else { throw WebRendererError.missingTemplate("layout") }
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// `template` rendered with `model` alone, outside the layout (a piece of a page a script swaps in).
    func fragment(_ template: String, _ model: Any) throws -> String {
        guard let html = library.render(Self.withoutNils(model) ?? [:], withTemplate: template) else {
            throw WebRendererError.missingTemplate(template)
        }
        return html
    }

    /// `value` with every nil optional inside dictionaries and arrays removed: Mustache
    /// unwraps optional properties of structs, but a dictionary's `Any` holding `nil` would
    /// count as present and open its section.
    static func withoutNils(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return withoutNils(wrapped)
        }
        if let dictionary = value as? [String: Any] {
            return dictionary.compactMapValues { withoutNils($0) }
        }
        if let array = value as? [Any], !(value is String) {
            return array.compactMap { withoutNils($0) }
        }
        return value
    }

    /// An error page that needs nothing but the error (no database, no session).
    func errorPage(_ error: WebError, retry: Bool) -> Response {
        let page: [String: Any] = ["title": error.title, "message": error.message, "retry": retry, "code": error.status.code]
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
