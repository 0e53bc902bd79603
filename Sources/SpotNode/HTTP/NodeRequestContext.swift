import Foundation
import Hummingbird
import NIOCore
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
    public let code: String
    public let message: String
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public let headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
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
        NodeAPIError(.unprocessableContent, code: "validation_failed", message: message)
    }
}

extension Request {
    /// Decodes a JSON body, answering 413, 400 (not JSON) or 422 (wrong shape) with a clear message.
    func decodeNodeJSON<T: Decodable>(as type: T.Type, context: NodeRequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw NodeAPIError(.contentTooLarge, code: "payload_too_large", message: "The request body is too large.")
        }
        guard buffer.readableBytes > 0 else {
            throw NodeAPIError(.badRequest, code: "invalid_json", message: "The request body is empty; send JSON.")
        }
        do {
            return try SyncJSON.decoder.decode(T.self, from: Data(buffer: buffer))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw NodeAPIError(.badRequest, code: "invalid_json", message: "The request body is not valid JSON.")
        } catch DecodingError.keyNotFound(let key, _) {
            throw NodeAPIError.validation("\(SyncJSON.snakeCase(key.stringValue)) is required")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context)
        {
            let field = context.codingPath.map { $0.intValue.map(String.init) ?? SyncJSON.snakeCase($0.stringValue) }
                .joined(separator: ".")
            throw NodeAPIError.validation("\(field.isEmpty ? "the body" : field) has the wrong type or format")
        } catch {
            throw NodeAPIError.validation("The request body does not have the expected fields.")
        }
    }
}
