import Hummingbird
import Logging
import PostgresNIO

/// Turns every error into the one JSON error shape: API errors as they are,
/// Hummingbird's HTTP errors (404 for unknown routes, 413, …) mapped to codes,
/// anything else logged with the request id and answered with a bare 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try Self.apiError(for: error, context: context).response(from: request, context: context)
        }
    }

    static func apiError(for error: any Error, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as PostgresTransactionError:
            // Errors thrown inside a transaction arrive wrapped; the rollback already happened.
            if let inner = error.closureError { return apiError(for: inner, context: context) }
        case let error as HTTPError:
            return mapped(error)
        default:
            break
        }
        context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
        return .internalError
    }

    private static func mapped(_ error: HTTPError) -> APIError {
        switch error.status {
        case .notFound: APIError(.notFound, code: "not_found", message: "No such route.")
        case .contentTooLarge: .payloadTooLarge
        case .methodNotAllowed: APIError(.methodNotAllowed, code: "method_not_allowed", message: "Method not allowed here.")
        case .badRequest: .badRequest(error.body ?? "Bad request.")
        case .unauthorized: .unauthorized
        default: APIError(error.status, code: "http_\(error.status.code)", message: error.status.reasonPhrase)
        }
    }
}
