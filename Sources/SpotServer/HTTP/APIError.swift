import Foundation
import Hummingbird
import SpotCore

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

    /// The JSON body alone (a held sync pull sends it after its status line is out).
    var body: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Strings and a dictionary of strings always encode.
        return try! encoder.encode(Body(error: .init(code: code, message: message, fields: fields)))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = body
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

    /// An error of the HTTP layer itself (the body, the URL, the database connection), with a code of ``ErrorCode``.
    init(_ status: HTTPResponse.Status, _ code: ErrorCode, _ message: String, fields: [String: String]? = nil, headers: HTTPFields = [:]) {
        self.init(status, code: code.rawValue, message: message, fields: fields, headers: headers)
    }

    static func invalidJSON(_ message: String) -> APIError { APIError(.badRequest, .invalidJSON, message) }

    static func validation(_ fields: [String: String]) -> APIError {
        APIError(.unprocessableContent, .validationFailed, "Some fields are invalid.", fields: fields)
    }

    static func validation(_ field: String, _ problem: String) -> APIError { validation([field: problem]) }

    static let payloadTooLarge = APIError(.contentTooLarge, .payloadTooLarge, "The request body is too large.")

    static let databaseUnavailable = APIError(
        .serviceUnavailable, .databaseUnavailable, "The database is not answering right now; try again in a moment.",
        headers: [.retryAfter: "5"])

    static let internalError = APIError(
        .internalServerError, .internalError, "Something went wrong on our side; it has been logged.")
}

extension DomainError {
    /// The HTTP status the API answers this refusal with (pages answer with the same).
    var status: HTTPResponse.Status { APIError(self).status }
}
