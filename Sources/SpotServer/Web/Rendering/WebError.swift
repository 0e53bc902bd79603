import Hummingbird
import SpotSync

/// An error a page answers with a friendly HTML page of its own.
struct WebError: Error, Sendable {
    let status: HTTPResponse.Status
    let title: String
    let message: String

    static func page(_ status: HTTPResponse.Status, _ message: String, title: String? = nil) -> WebError {
        WebError(status: status, title: title ?? status.reasonPhrase, message: message)
    }

    static let csrfRejected = WebError(
        status: .forbidden, title: "This form has expired",
        message: "The form was older than your session or came from another site. Go back, reload the page and send it again.")

    /// Runs `parse`; text that is not UTF-8 or holds a NUL character is a 422 page.
    static func refusingBadText<T>(_ parse: () throws(InputText.Problem) -> T) throws(WebError) -> T {
        do {
            return try parse()
        } catch {
            throw WebError.page(.unprocessableContent, "The form \(error): check what was typed or pasted.", title: "Unreadable form")
        }
    }

    static func notFound(_ what: String) -> WebError {
        WebError(status: .notFound, title: "Not found", message: "\(what) was not found. It may have been removed, or the link is wrong.")
    }
}



extension WebError {
    /// The one mapping of a domain refusal to the page that shows it (sign-in needed is a redirect, before this).
    init(_ error: DomainError) {
        switch error.kind {
        case .notFound: self.init(status: .notFound, title: "Not found", message: error.message)
        case .forbidden: self.init(status: .forbidden, title: "Not allowed", message: error.message)
        default: self.init(status: error.status, title: error.status.reasonPhrase, message: error.formProblem)
        }
    }
}
