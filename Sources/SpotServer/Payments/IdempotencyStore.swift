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
    /// Keys claimed together, in one statement (one store per server process).
    private let claims: Batcher<Claim, Result<Start, any Error>>
    /// Answers stored together, in one statement.
    private let answers: Batcher<Answer, Void>

    /// Batches of claims, and of answers, at once (per server process).
    static let concurrentBatches = 2

    init(database: Database) {
        self.database = database
        claims = Batcher(capacity: 128, concurrency: Self.concurrentBatches)
        answers = Batcher(capacity: 128, concurrency: Self.concurrentBatches)
    }

    enum Start: Sendable {
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

    /// A key to claim for a request: its user, the key, the request's hash, the time.
    private struct Claim: Sendable {
        let user: UUID
        let key: String
        let hash: String
        let now: Date
    }

    /// A user's key.
    private struct UserKey: Hashable {
        let user: UUID
        let key: String
    }

    /// Claims `key` for the request `fingerprint` describes (`.proceed`), or finds the answer
    /// stored for it (`.replay`); a key used for another request is refused. Claims arriving
    /// together are made in one statement.
    func start(user: UUID, key: String, fingerprint: String, now: Date, logger: Logger) async throws -> Start {
        let hash = Data(SHA256.hash(data: Data(fingerprint.utf8))).hexString
        let claim = Claim(user: user, key: key, hash: hash, now: now)
        return try await claims.submit(claim) { [database] batch in
            try await Self.claim(batch, on: database, logger: logger)
        }.get()
    }

    /// Claims every key of `batch`, or reads what is stored for it. A request with the same key
    /// committing meanwhile leaves neither (its row is not in the statement's snapshot): the next
    /// statement sees it. Two claims of one key in one batch both find the one row.
    private static func claim(_ batch: [Claim], on database: Database, logger: Logger) async throws -> [Result<Start, any Error>] {
        var outcomes = [Result<Start, any Error>?](repeating: nil, count: batch.count)
        for _ in 1...3 {
            let pending = batch.indices.filter { outcomes[$0] == nil }
            guard !pending.isEmpty else { break }
            let claims = pending.map { batch[$0] }
            let rows = try await database.query(
                """
                WITH input AS (
                    SELECT * FROM unnest(\(claims.map(\.user))::uuid[], \(claims.map(\.key))::text[],
                                         \(claims.map(\.hash))::text[], \(claims.map(\.now))::timestamptz[])
                        AS i(user_id, key, request_hash, created_at)
                ), claimed AS (
                    INSERT INTO idempotency_keys (user_id, key, request_hash, created_at)
                    SELECT user_id, key, request_hash, created_at FROM input ON CONFLICT DO NOTHING
                    RETURNING user_id, key, request_hash, status_code, response
                )
                SELECT user_id, key, request_hash, status_code, response FROM claimed
                UNION ALL
                SELECT k.user_id, k.key, k.request_hash, k.status_code, k.response FROM idempotency_keys k
                WHERE (k.user_id, k.key) IN (SELECT user_id, key FROM input)
                  AND NOT EXISTS (SELECT 1 FROM claimed c WHERE c.user_id = k.user_id AND c.key = k.key)
                """, logger: logger)
            var found: [UserKey: (hash: String, status: Int?, body: String?)] = [:]
            for try await (user, key, hash, status, body) in rows.decode((UUID, String, String, Int?, String?).self) {
                found[UserKey(user: user, key: key)] = (hash, status, body)
            }
            for index in pending {
                guard let stored = found[UserKey(user: batch[index].user, key: batch[index].key)] else { continue }
                if stored.hash != batch[index].hash {
                    outcomes[index] = .failure(DomainError.idempotencyKeyReused)
                } else if let status = stored.status, let body = stored.body {
                    outcomes[index] = .success(.replay(status: status, body: body))
                } else {
                    outcomes[index] = .success(.proceed)
                }
            }
        }
        // Only a key deleted between each claim and read gets here: an error of the server's.
        return outcomes.map { $0 ?? .failure(KeyNotClaimed()) }
    }

    struct KeyNotClaimed: Error {}

    /// The final answer to a user's key.
    private struct Answer: Sendable {
        let user: UUID
        let key: String
        let status: Int
        let body: String
    }

    /// Stores the final answer to `key`; answers arriving together are stored in one statement.
    func finish(user: UUID, key: String, status: Int, body: String, logger: Logger) async throws {
        try await answers.submit(Answer(user: user, key: key, status: status, body: body)) { [database] batch in
            try await database.query(
                """
                UPDATE idempotency_keys k SET status_code = a.status, response = a.body
                FROM unnest(\(batch.map(\.user))::uuid[], \(batch.map(\.key))::text[], \(batch.map(\.status))::int8[],
                            \(batch.map(\.body))::text[]) AS a(user_id, key, status, body)
                WHERE k.user_id = a.user_id AND k.key = a.key
                """, logger: logger)
            return Array(repeating: (), count: batch.count)
        }
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
