import Hummingbird
import SpotCore
import SpotSync

/// Refuses, before any route reads it, a URL whose path or query decodes to text that is not
/// UTF-8 or holds a NUL character (``InputText``), or whose query names a parameter twice (no
/// route takes a list there, and which one would count is a guess): a 422, as JSON for the API
/// and as a page for the web site, instead of a database error or a silent choice later.
struct InputTextMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let problem = InputText.problem(inPercentEncoded: Substring(request.uri.path))
            ?? request.uri.query.flatMap({ InputText.problem(inPercentEncoded: Substring($0)) })
        {
            throw APIError(.unprocessableContent, .validationFailed, "The address (URL) \(problem).")
        }
        var names = Set<Substring>()
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let name = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            guard names.insert(name).inserted else {
                throw APIError.validation(String(name.prefix(64)), "is given more than once")
            }
        }
        return try await next(request, context)
    }
}
