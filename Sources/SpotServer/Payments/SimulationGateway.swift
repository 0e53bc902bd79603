import Foundation
import Logging
import PostgresNIO

/// A payment gateway for development and tests that behaves like a real one, keyed by
/// test card numbers (any other valid card succeeds):
///
/// | card | outcome |
/// |---|---|
/// | 4242 4242 4242 4242 | success |
/// | 4000 0000 0000 0002 | declined: `card_declined` |
/// | 4000 0000 0000 9995 | declined: `insufficient_funds` |
/// | 4000 0000 0000 0119 | processor error (nothing charged; retry) |
/// | 4000 0000 0000 0259 | timeout: charged, but the response is lost; a retry with the same key returns the charge |
///
/// Its ledger lives in PostgreSQL (`simulated_gateway_operations`), so it is shared by
/// server replicas and survives restarts, as a real processor's would. Like a real processor
/// it is called by requests holding a transaction open, so it must not share their
/// connection pool: give it a `Database` of its own.
public struct SimulationGateway: PaymentGateway {
    public static let successCard = "4242424242424242"
    public static let declinedCard = "4000000000000002"
    public static let insufficientFundsCard = "4000000000009995"
    public static let processorErrorCard = "4000000000000119"
    public static let timeoutCard = "4000000000000259"

    /// Connections of the simulated processor's own pool.
    static let maximumConnections = 4

    let database: Database
    let logger: Logger
    /// Charges arriving together (a checkout batch charges its cards at once) recorded in one
    /// statement, as a processor batches its ledger's writes.
    private let records: Batcher<ChargeRecord, Bool>

    init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
        records = Batcher(capacity: 64, concurrency: 2)
    }

    public func charge(_ request: ChargeRequest) async throws -> ChargeResult {
        let outcome: String
        switch request.card.number {
        case Self.declinedCard: outcome = "card_declined"
        case Self.insufficientFundsCard: outcome = "insufficient_funds"
        case Self.processorErrorCard:
            if let earlier = try await earlierCharge(request) { return earlier }
            throw GatewayError.processorError
        default: outcome = "succeeded"
        }
        let reference = "ch_sim_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24)
        let record = ChargeRecord(
            key: request.idempotencyKey, reference: String(reference), amountMinor: request.amountMinor, currency: request.currency,
            outcome: outcome, fingerprint: request.fingerprint)
        let recorded = try await records.submit(record) { [database, logger] batch in
            try await Self.record(batch, on: database, logger: logger)
        }
        guard recorded else { return try await earlierCharge(request) ?? .declined(code: "card_declined") }
        logger.info("simulated charge", metadata: ["outcome": "\(outcome)", "amount": "\(request.amountMinor)"])
        if request.card.number == Self.timeoutCard { throw GatewayError.timeout }
        return outcome == "succeeded" ? .succeeded(reference: String(reference)) : .declined(code: outcome)
    }

    /// A charge's answer, recorded under its request's key.
    private struct ChargeRecord: Sendable {
        let key: String
        let reference: String
        let amountMinor: Int64
        let currency: String
        let outcome: String
        let fingerprint: String
    }

    /// Records each charge whose key has no answer yet, and tells which were recorded. The first
    /// request with a key records its answer; any other (a retry, a concurrent one, a later one
    /// of the same batch) finds it not recorded and reads that answer.
    private static func record(_ batch: [ChargeRecord], on database: Database, logger: Logger) async throws -> [Bool] {
        var keys = Set<String>()
        let firsts = batch.filter { keys.insert($0.key).inserted }
        let rows = try await database.query(
            """
            INSERT INTO simulated_gateway_operations
                (idempotency_key, kind, reference, amount_minor, currency, outcome, request_fingerprint, created_at)
            SELECT key, 'charge', reference, amount_minor, currency, outcome, fingerprint, now()
            FROM unnest(\(firsts.map(\.key))::text[], \(firsts.map(\.reference))::text[], \(firsts.map(\.amountMinor))::int8[],
                        \(firsts.map(\.currency))::text[], \(firsts.map(\.outcome))::text[], \(firsts.map(\.fingerprint))::text[])
                AS r(key, reference, amount_minor, currency, outcome, fingerprint)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING reference
            """, logger: logger)
        var recorded = Set<String>()
        for try await reference in rows.decode(String.self) { recorded.insert(reference) }
        return batch.map { recorded.contains($0.reference) }
    }

    /// The answer already given for this request's key: the same answer for the same request,
    /// a refusal for another one.
    private func earlierCharge(_ request: ChargeRequest) async throws -> ChargeResult? {
        let rows = try await database.query(
            """
            SELECT reference, outcome, kind, request_fingerprint FROM simulated_gateway_operations
            WHERE idempotency_key = \(request.idempotencyKey)
            """, logger: logger)
        for try await (reference, outcome, kind, fingerprint) in rows.decode((String, String, String, String?).self) {
            guard kind == "charge", fingerprint == request.fingerprint else { throw GatewayError.idempotencyKeyReused }
            return outcome == "succeeded" ? .succeeded(reference: reference) : .declined(code: outcome)
        }
        return nil
    }

    public func charge(forKey idempotencyKey: String) async throws -> ChargeResult? {
        let rows = try await database.query(
            """
            SELECT reference, outcome FROM simulated_gateway_operations
            WHERE idempotency_key = \(idempotencyKey) AND kind = 'charge'
            """, logger: logger)
        for try await (reference, outcome) in rows.decode((String, String).self) {
            return outcome == "succeeded" ? .succeeded(reference: reference) : .declined(code: outcome)
        }
        return nil
    }

    public func refund(_ request: RefundRequest) async throws -> String {
        try await database.withTransaction(logger: logger) { connection in
            // One refund decision per charge at a time: concurrent refunds cannot exceed it together,
            // and a retried key sees the first one's answer.
            let charge = try await connection.query(
                """
                SELECT amount_minor FROM simulated_gateway_operations
                WHERE reference = \(request.chargeReference) AND kind = 'charge' AND outcome = 'succeeded' FOR UPDATE
                """, logger: logger)
            var charged: Int64?
            for try await amount in charge.decode(Int64.self) { charged = amount }
            let existing = try await connection.query(
                """
                SELECT reference, kind, request_fingerprint FROM simulated_gateway_operations
                WHERE idempotency_key = \(request.idempotencyKey)
                """, logger: logger)
            for try await (reference, kind, fingerprint) in existing.decode((String, String, String?).self) {
                guard kind == "refund", fingerprint == request.fingerprint else { throw GatewayError.idempotencyKeyReused }
                return reference
            }
            guard let charged else { throw GatewayError.unknownCharge }
            let refunded = try await connection.query(
                """
                SELECT coalesce(sum(amount_minor), 0)::bigint FROM simulated_gateway_operations
                WHERE charge_reference = \(request.chargeReference) AND kind = 'refund'
                """, logger: logger)
            for try await total in refunded.decode(Int64.self) where total + request.amountMinor > charged {
                throw GatewayError.refundExceedsCharge
            }
            let reference = "re_sim_" + String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24))
            try await connection.query(
                """
                INSERT INTO simulated_gateway_operations
                    (idempotency_key, kind, reference, charge_reference, amount_minor, currency, outcome, request_fingerprint,
                     created_at)
                VALUES (\(request.idempotencyKey), 'refund', \(reference), \(request.chargeReference), \(request.amountMinor),
                        \(request.currency), 'succeeded', \(request.fingerprint), now())
                """, logger: logger)
            return reference
        }
    }
}
