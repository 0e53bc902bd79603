import Foundation
import Hummingbird

/// Every error the API answers with, in one shape:
/// `{"error":{"code":"…","message":"…","fields":{"field":"problem"}}}`.
/// Messages are written for the client; they never carry SQL, stack traces or secrets.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let fields: [String: String]?
    /// Extra response headers (e.g. `Retry-After`).
    public let headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, code: String, message: String, fields: [String: String]? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            let code: String
            let message: String
            let fields: [String: String]?
        }
        let error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(Body(error: .init(code: code, message: message, fields: fields)))
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension HTTPResponse.Status {
    /// 402 (swift-http-types names no constant for it).
    static let paymentRequired = HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")
}

extension APIError {
    /// The one mapping of a domain refusal to the API's status, code, message and headers.
    init(_ error: DomainError) {
        let status: HTTPResponse.Status
        var headers: HTTPFields = [:]
        switch error.kind {
        case .badRequest: status = .badRequest
        case .invalid: status = .unprocessableContent
        case .notFound: status = .notFound
        case .conflict: status = .conflict
        case .forbidden: status = .forbidden
        case .unauthenticated:
            status = .unauthorized
            headers[.wwwAuthenticate] = "Bearer"
        case .tooManyAttempts(let seconds):
            status = .tooManyRequests
            headers[.retryAfter] = String(seconds)
        case .paymentDeclined: status = .paymentRequired
        case .processorFailed: status = .badGateway
        case .processorTimeout: status = .gatewayTimeout
        case .gone: status = .gone
        }
        self.init(status, code: error.code.rawValue, message: error.message, fields: error.fields, headers: headers)
    }

    static func badRequest(_ message: String, code: String = "bad_request") -> APIError {
        APIError(.badRequest, code: code, message: message)
    }

    static func invalidJSON(_ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_json", message: message)
    }

    static func validation(_ fields: [String: String]) -> APIError {
        APIError(
            .unprocessableContent, code: "validation_failed", message: "Some fields are invalid.", fields: fields)
    }

    static func validation(_ field: String, _ problem: String) -> APIError {
        validation([field: problem])
    }

    static let unauthorized = APIError(
        .unauthorized, code: "unauthorized", message: "Sign in first: this needs a valid access token.",
        headers: [.wwwAuthenticate: "Bearer"])

    static func unauthorized(_ message: String, code: String = "unauthorized") -> APIError {
        APIError(.unauthorized, code: code, message: message, headers: [.wwwAuthenticate: "Bearer"])
    }

    static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message: message)
    }

    static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "not_found", message: "\(what) not found.")
    }

    static func conflict(_ message: String, code: String = "conflict") -> APIError {
        APIError(.conflict, code: code, message: message)
    }

    static func rateLimited(retryAfter seconds: Int) -> APIError {
        APIError(
            .tooManyRequests, code: "rate_limited",
            message: "Too many attempts: try again in \(seconds) second\(seconds == 1 ? "" : "s").",
            headers: [.retryAfter: String(seconds)])
    }

    static let payloadTooLarge = APIError(
        .contentTooLarge, code: "payload_too_large", message: "The request body is too large.")

    static let databaseUnavailable = APIError(
        .serviceUnavailable, code: "database_unavailable",
        message: "The database is not answering right now; try again in a moment.", headers: [.retryAfter: "5"])

    static let internalError = APIError(
        .internalServerError, code: "internal_error", message: "Something went wrong on our side; it has been logged.")
}

extension DomainError {
    /// The HTTP status the API answers this refusal with (pages answer with the same).
    var status: HTTPResponse.Status { APIError(self).status }
}
