import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PostgresNIO
import SpotCore

/// Remembers the final answer to a request made with an `Idempotency-Key` header, per
/// user: a retry with the same key and body gets the same answer and never repeats the
/// effect; the same key with another body is refused. A request that never reached a
/// final answer (a crash, a gateway timeout) runs again on retry — the steps below it
/// are idempotent themselves (booking locks, the gateway's own idempotency key).
struct IdempotencyStore: Sendable {
    let database: Database

    enum Start {
        case proceed
        case replay(status: Int, body: String)
    }

    static func key(from request: Request) throws -> String {
        guard let key = request.headers[.idempotencyKey], !key.isEmpty else {
            throw DomainError.badRequest("Send an Idempotency-Key header (any unique string, e.g. a UUID) so a retry cannot pay twice.",
                                      code: .idempotencyKeyRequired)
        }
        guard key.count <= 200 else { throw DomainError.validation("Idempotency-Key", "must be at most 200 characters") }
        return key
    }

    func start(user: UUID, key: String, fingerprint: String, now: Date, logger: Logger) async throws -> Start {
        let hash = Data(SHA256.hash(data: Data(fingerprint.utf8))).hexString
        // One statement claims the key or reads the answer stored for it. A request with the same
        // key committing meanwhile leaves neither (its row is not in this statement's snapshot):
        // the next statement sees it.
        for _ in 1...3 {
            for row in try await database.execute(Prepared<Claim>("\(user)\(key)\(hash)\(now)"), logger: logger) {
                let (storedHash, status, body) = try row.decode((String, Int?, String?).self)
                guard storedHash == hash else { throw DomainError.idempotencyKeyReused }
                if let status, let body { return .replay(status: status, body: body) }
                return .proceed
            }
        }
        // Only a key deleted between each claim and read gets here: an error of the server's.
        throw KeyNotClaimed()
    }

    struct KeyNotClaimed: Error {}

    func finish(user: UUID, key: String, status: Int, body: String, logger: Logger) async throws {
        _ = try await database.execute(Prepared<Finish>("\(user)\(key)\(status)\(body)"), logger: logger)
    }

    /// Claims key `$2` of user `$1` for request hash `$3` at `$4`, or reads what is stored for it.
    private enum Claim: PreparedSQL {
        static let text = """
            WITH claimed AS (
                INSERT INTO idempotency_keys (user_id, key, request_hash, created_at)
                VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
                RETURNING request_hash, status_code, response
            )
            SELECT request_hash, status_code, response FROM claimed
            UNION ALL
            SELECT request_hash, status_code, response FROM idempotency_keys
            WHERE user_id = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM claimed)
            """
    }

    /// The final answer (status `$3`, body `$4`) to key `$2` of user `$1`.
    private enum Finish: PreparedSQL {
        static let text = "UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE user_id = $1 AND key = $2"
    }

    /// Runs `body` once per key: replays a stored answer, or runs it and stores a final one
    /// (2xx, or a definitive refusal such as a declined card). Errors that invite a retry
    /// (timeouts, 5xx) are not stored.
    func run<T: Encodable & Sendable>(
        request: Request, context: AppRequestContext, user: UUID, fingerprint: String, now: Date,
        successStatus: HTTPResponse.Status = .ok, _ body: () async throws -> T
    ) async throws -> Response {
        let key = try Self.key(from: request)
        switch try await start(user: user, key: key, fingerprint: fingerprint, now: now, logger: context.logger) {
        case .replay(let status, let stored):
            return Response(
                status: .init(code: status), headers: [.contentType: "application/json; charset=utf-8", .idempotentReplay: "true"],
                body: .init(byteBuffer: ByteBuffer(string: stored)))
        case .proceed:
            do {
                let value = try await body()
                let json = String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
                try await finish(user: user, key: key, status: Int(successStatus.code), body: json, logger: context.logger)
                return Response(
                    status: successStatus, headers: [.contentType: "application/json; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: json)))
            } catch let domain as DomainError where domain.isFinal {
                let error = APIError(domain)
                let response = try error.response(from: request, context: context)
                let json = try JSONCoding.encoder.encode(APIError.Body(error: .init(code: error.code, message: error.message, fields: error.fields)))
                try await finish(
                    user: user, key: key, status: Int(error.status.code), body: String(decoding: json, as: UTF8.self),
                    logger: context.logger)
                return response
            }
        }
    }
}

extension DomainError {
    /// A refusal that will not change on retry (remembered for the idempotency key).
    var isFinal: Bool { kind == .paymentDeclined || kind == .conflict }
}

/// The payment processor's idempotency keys, one format per kind of request. The caller's own
/// key is always last and the parts before it are fixed, so keys of different kinds, callers or
/// bookings never collide; the processor also binds each key to its request (``ChargeRequest/fingerprint``).
enum GatewayKey {
    static func apiCheckout(user: UUID, key: String) -> String { "checkout:api:\(user.lowercasedText):\(key)" }
    static func webCheckout(booking: UUID, nonce: String) -> String { "checkout:web:\(booking.lowercasedText):\(nonce)" }
    static func apiRefund(user: UUID, key: String) -> String { "refund:api:\(user.lowercasedText):\(key)" }
    static func webRefund(booking: UUID, nonce: String) -> String { "refund:web:\(booking.lowercasedText):\(nonce)" }
    static func cancellation(booking: UUID) -> String { "cancel:\(booking.lowercasedText)" }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplay = Self("Idempotent-Replay")!
}
