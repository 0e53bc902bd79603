import Hummingbird
import Logging
import Foundation
import PostgresNIO
import SpotCore

/// Turns every error into the one JSON error shape: API errors as they are,
/// Hummingbird's HTTP errors (404 for unknown routes, 413, …) mapped to codes,
/// anything else logged with the request id and answered with a bare 500.
/// Requests for the web site (any path outside the API and operations endpoints) get an
/// HTML page instead: a friendly 404, a "database unavailable" page with a retry, or a
/// redirect to sign in.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Renders the web site's error pages; nil serves JSON everywhere.
    var pages: PageRenderer?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let pages, Self.isWebPage(request.uri.path) {
                return Self.webResponse(for: error, request: request, pages: pages, context: context)
            }
            return try Self.apiError(for: error, request: request, context: context).response(from: request, context: context)
        }
    }

    static func isWebPage(_ path: String) -> Bool {
        !(path.hasPrefix("/api/") || ["/health", "/metrics", "/openapi.json"].contains(path))
    }

    static func webResponse(for error: any Error, request: Request, pages: PageRenderer, context: Context) -> Response {
        let page: WebError
        switch error {
        case let error as WebError:
            page = error
        case let error as PostgresTransactionError where error.closureError != nil:
            return webResponse(for: error.closureError!, request: request, pages: pages, context: context)
        case let error as DomainError where error.kind == .unauthenticated:
            let back = request.method == .get ? "?next=" + (request.uri.description.addingPercentEncoding(
                withAllowedCharacters: .alphanumerics) ?? "") : ""
            return Response.redirect(to: "/signin" + back)
        case let error as DomainError:
            page = WebError(error)
        case let error as HTTPError where error.status == .notFound:
            page = .notFound("This page")
        default:
            let api = apiError(for: error, context: context)
            switch api.status {
            case .unauthorized:
                return Response.redirect(to: "/signin")
            case .serviceUnavailable where api.code == ErrorCode.databaseUnavailable.rawValue:
                page = .page(
                    .serviceUnavailable,
                    "We cannot reach our database right now, so this page cannot be shown. Nothing you did was lost; "
                        + "try again in a moment.", title: "Temporarily unavailable")
            case .internalServerError:
                page = .page(
                    .internalServerError, "Something went wrong on our side; it has been logged. Try again in a moment.",
                    title: "Something went wrong")
            default:
                page = .page(api.status, api.message)
            }
        }
        var response = pages.errorPage(page, retry: page.status.code >= 500)
        let headers = (error as? APIError)?.headers ?? (error as? DomainError).map { APIError($0).headers } ?? [:]
        for field in headers where field.name == .retryAfter {
            response.headers.append(field)
        }
        WebSessionMiddleware.addSecurityHeaders(&response.headers)
        return response
    }

    static func apiError(for error: any Error, request: Request? = nil, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as DomainError:
            return APIError(error)
        case let error as PostgresTransactionError:
            // Errors thrown inside a transaction arrive wrapped; the rollback already happened.
            if let inner = error.closureError { return apiError(for: inner, request: request, context: context) }
        case let error as HTTPError:
            return mapped(error, request: request)
        default:
            break
        }
        context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
        return .internalError
    }

    private static func mapped(_ error: HTTPError, request: Request?) -> APIError {
        switch error.status {
        case .notFound:
            // A path the API has, asked with a method it does not take: 405 with the methods it does.
            if let request, let allowed = OpenAPIDocument.routes.methods(forPath: request.uri.path),
                !allowed.contains(request.method.rawValue)
            {
                APIError(
                    .methodNotAllowed, .methodNotAllowed, "Method not allowed here.",
                    headers: [.allow: allowed.sorted().joined(separator: ", ")])
            } else {
                APIError(.notFound, .notFound, "No such route.")
            }
        case .contentTooLarge: .payloadTooLarge
        case .methodNotAllowed: APIError(.methodNotAllowed, .methodNotAllowed, "Method not allowed here.")
        case .badRequest: APIError(.badRequest, .badRequest, error.body ?? "Bad request.")
        case .unauthorized: APIError(.unauthorized, .unauthorized, "Sign in first.", headers: [.wwwAuthenticate: "Bearer"])
        default: APIError(error.status, .badRequest, error.status.reasonPhrase)
        }
    }
}
