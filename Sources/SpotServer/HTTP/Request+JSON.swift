import Foundation
import Hummingbird
import NIOCore
import SpotCore
import SpotSync

extension Request {
    /// Decodes a JSON body into `T`, with errors a client can act on:
    /// 413 past `context.maxUploadSize`, 400 for broken JSON, 422 naming the field
    /// for a missing or wrongly typed value.
    func decodeJSON<T: Decodable>(as type: T.Type, context: some RequestContext) async throws -> T {
        guard let value = try await decodeJSONIfPresent(as: type, context: context) else {
            throw APIError.invalidJSON("The request body is empty; send JSON.")
        }
        return value
    }

    /// Like ``decodeJSON(as:context:)``, but an empty body is `nil` (for optional bodies).
    func decodeJSONIfPresent<T: Decodable>(as type: T.Type, context: some RequestContext) async throws -> T? {
        guard let data = try await collectBody(context: context) else { return nil }
        try Self.checkText(data)
        do {
            return try JSONCoding.decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError(decoding: error)
        }
    }

    /// Refuses a JSON body that is not UTF-8 or holds a NUL character in a string (``InputText``).
    static func checkText(_ data: Data) throws {
        if let problem = InputText.problem(inJSON: data) {
            throw APIError(.unprocessableContent, .validationFailed, "The request body \(problem).")
        }
    }

    /// The body, or nil when empty; 413 past `context.maxUploadSize`.
    func collectBody(context: some RequestContext) async throws -> Data? {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge
        }
        return buffer.readableBytes > 0 ? Data(buffer: buffer) : nil
    }
}

extension APIError {
    /// Maps a decoding failure to 400 (not JSON) or 422 (JSON, wrong shape) with the field's path.
    init(decoding error: DecodingError) {
        let problem = DecodingProblem(error)
        if problem.notJSON {
            self = .invalidJSON("The request body is not valid JSON.")
        } else {
            self = .validation(problem.field, problem.message)
        }
    }
}
