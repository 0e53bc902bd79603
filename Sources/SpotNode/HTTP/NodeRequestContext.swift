import Foundation
import Hummingbird
import NIOCore
import SpotCore
import SpotSync

/// The request context of the node's local API: the sync protocol's JSON conventions
/// and a 64 KiB body limit.
public struct NodeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { 64 * 1024 }
    public var requestDecoder: JSONDecoder { SyncJSON.decoder }
    public var responseEncoder: JSONEncoder { SyncJSON.encoder }
}

/// Every error of the node's API, in the server's shape: `{"error":{"code":"…","message":"…"}}`.
public struct NodeAPIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    /// An ``ErrorCode``, or a code the server answered with and the node passes on.
    public let code: String
    public let message: String
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public let headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: ErrorCode, message: String, headers: HTTPFields = [:]) {
        self.init(status, relayedCode: code.rawValue, message: message, headers: headers)
    }

    /// An error the server answered with, passed on to the kiosk as it came.
    init(_ status: HTTPResponse.Status, relayedCode: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = relayedCode
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try SyncJSON.encoder.encode(SyncErrorBody(error: SyncErrorDetail(code: code, message: message)))
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(
            status: status, headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func validation(_ message: String) -> NodeAPIError {
        NodeAPIError(.unprocessableContent, code: .validationFailed, message: message)
    }
}

extension Request {
    /// Decodes a JSON body, answering 415 (not sent as JSON: a browser form or a cross-site
    /// `text/plain` post), 413, 400 (not JSON), or 422 (wrong shape, out of range, not UTF-8 text,
    /// a NUL character) with a clear message.
    func decodeNodeJSON<T: Decodable>(as type: T.Type, context: NodeRequestContext) async throws -> T {
        // Only JSON: a page on the LAN can post text/plain or a form across origins without
        // asking, but not application/json (that needs a CORS preflight the node never grants).
        guard let contentType = headers[.contentType]?.lowercased(),
            contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) == "application/json"
        else {
            throw NodeAPIError(
                .unsupportedMediaType, code: .badRequest, message: "Send the body as JSON (Content-Type: application/json).")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw NodeAPIError(.contentTooLarge, code: .payloadTooLarge, message: "The request body is too large.")
        }
        guard buffer.readableBytes > 0 else {
            throw NodeAPIError(.badRequest, code: .invalidJSON, message: "The request body is empty; send JSON.")
        }
        if let problem = InputText.problem(inJSON: buffer.readableBytesView) {
            throw NodeAPIError.validation("The request body \(problem).")
        }
        do {
            return try SyncJSON.decoder.decode(T.self, from: Data(buffer: buffer))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw NodeAPIError(.badRequest, code: .invalidJSON, message: "The request body is not valid JSON.")
        } catch DecodingError.keyNotFound(let key, _) {
            throw NodeAPIError.validation("\(SyncJSON.snakeCase(key.stringValue)) is required")
        } catch DecodingError.dataCorrupted(let context) {
            throw NodeAPIError.validation("\(Self.path(context.codingPath)) \(context.debugDescription)")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw NodeAPIError.validation("\(Self.path(context.codingPath)) has the wrong type or format")
        } catch {
            throw NodeAPIError.validation("The request body does not have the expected fields.")
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        let path = codingPath.map { $0.intValue.map(String.init) ?? SyncJSON.snakeCase($0.stringValue) }
            .joined(separator: ".")
        return path.isEmpty ? "the body" : path
    }
}
