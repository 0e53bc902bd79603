import Foundation
import SpotCore
import Logging
import PostgresNIO

/// An organizer's webhook endpoints and their delivery log. Every method takes the organizer,
/// so nobody reaches another organizer's endpoint (it is simply not found).
struct WebhookRepository: Sendable {
    let database: Database

    /// Endpoints an organizer may register.
    static let maximumEndpoints = 10
    /// Rows the delivery log shows.
    static let logLength = 50

    func create(
        organizer: UUID, target: WebhookTarget, eventTypes: Set<WebhookEventType>, now: Date, logger: Logger
    ) async throws -> CreatedWebhookEndpoint {
        var generator = SystemRandomNumberGenerator()
        let secret = "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64URLText
        let id = UUID.now(now)
        let types = WebhookEventType.subscribable.filter(eventTypes.contains)
        let url = target.url.absoluteString
        try await database.withTransaction(logger: logger) { connection in
            // The organizer's row serializes concurrent registrations, so the limit holds.
            try await connection.query("SELECT 1 FROM organizers WHERE id = \(organizer) FOR UPDATE", logger: logger)
            let rows = try await connection.query(
                "SELECT count(*)::int FROM webhook_endpoints WHERE organizer_id = \(organizer)", logger: logger)
            for try await count in rows.decode(Int.self) where count >= Self.maximumEndpoints {
                throw DomainError.conflict(
                    "You have \(Self.maximumEndpoints) webhook endpoints, the most there may be: delete one first.",
                    code: .webhookLimitReached)
            }
            try await connection.query(
                """
                INSERT INTO webhook_endpoints (id, organizer_id, url, event_types, secret, created_at)
                VALUES (\(id), \(organizer), \(url), \(types.map(\.rawValue)), \(secret), \(now))
                """, logger: logger)
        }
        return CreatedWebhookEndpoint(
            endpoint: WebhookEndpoint(id: id, url: url, eventTypes: types, secretHint: Self.hint(secret), createdAt: now),
            secret: secret)
    }

    func endpoints(organizer: UUID, logger: Logger) async throws -> [WebhookEndpoint] {
        let rows = try await database.query(
            """
            SELECT id, url, event_types, secret, created_at FROM webhook_endpoints
            WHERE organizer_id = \(organizer) ORDER BY created_at, id
            """, logger: logger)
        var endpoints: [WebhookEndpoint] = []
        for try await (id, url, types, secret, created) in rows.decode((UUID, String, [String], String, Date).self) {
            endpoints.append(WebhookEndpoint(
                id: id, url: url, eventTypes: try types.map(Self.eventType), secretHint: Self.hint(secret), createdAt: created))
        }
        return endpoints
    }

    /// Deletes the endpoint and its delivery log; 404 when it is not the organizer's.
    func delete(_ id: UUID, organizer: UUID, logger: Logger) async throws {
        let rows = try await database.query(
            "DELETE FROM webhook_endpoints WHERE id = \(id) AND organizer_id = \(organizer) RETURNING id", logger: logger)
        for try await _ in rows.decode(UUID.self) { return }
        throw DomainError.notFound("Webhook endpoint")
    }

    /// Queues a `webhook.test` delivery to the endpoint ("send test").
    func queueTest(_ id: UUID, organizer: UUID, now: Date, logger: Logger) async throws -> WebhookDelivery {
        let delivery = UUID.now(now), event = UUID.now(now)
        let payload = String(decoding: try JSONSerialization.data(withJSONObject: [
            "id": event.lowercasedText, "type": WebhookEventType.test.rawValue,
            "created_at": ISO8601DateFormatter().string(from: now),
            "data": ["endpoint_id": id.lowercasedText, "message": "A test from HVFLVSPOT: this endpoint receives webhooks."],
        ], options: [.sortedKeys]), as: UTF8.self)
        let rows = try await database.query(
            """
            INSERT INTO webhook_deliveries (id, endpoint_id, event_id, type, payload, status, next_attempt_at, created_at)
            SELECT \(delivery), id, \(event), \(WebhookEventType.test.rawValue), \(payload), 'queued', \(now), \(now)
            FROM webhook_endpoints WHERE id = \(id) AND organizer_id = \(organizer)
            RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(UUID.self) {
            return WebhookDelivery(
                id: delivery, eventID: event, type: .test, status: .queued, attempts: 0, responseStatus: nil, lastError: nil,
                createdAt: now, deliveredAt: nil)
        }
        throw DomainError.notFound("Webhook endpoint")
    }

    /// The endpoint's latest deliveries, newest first; 404 when it is not the organizer's.
    func deliveries(of id: UUID, organizer: UUID, logger: Logger) async throws -> [WebhookDelivery] {
        try await database.withConnection(logger: logger) { connection in
            guard try await connection.returnsRow(
                "SELECT 1 FROM webhook_endpoints WHERE id = \(id) AND organizer_id = \(organizer)", logger: logger)
            else { throw DomainError.notFound("Webhook endpoint") }
            let rows = try await connection.query(
                """
                SELECT id, event_id, type, status, attempts, response_status, last_error, created_at, delivered_at
                FROM webhook_deliveries WHERE endpoint_id = \(id) ORDER BY created_at DESC, id DESC LIMIT \(Self.logLength)
                """, logger: logger)
            var deliveries: [WebhookDelivery] = []
            for try await (delivery, event, type, status, attempts, response, error, created, delivered) in rows.decode(
                (UUID, UUID, WebhookEventType, WebhookDelivery.Status, Int, Int?, String?, Date, Date?).self)
            {
                deliveries.append(WebhookDelivery(
                    id: delivery, eventID: event, type: type, status: status, attempts: attempts, responseStatus: response,
                    lastError: error, createdAt: created, deliveredAt: delivered))
            }
            return deliveries
        }
    }

    private static func hint(_ secret: String) -> String { "…" + secret.suffix(4) }

    private static func eventType(_ text: String) throws -> WebhookEventType {
        guard let type = WebhookEventType(rawValue: text) else { throw PostgresDecodingError.Code.failure }
        return type
    }
}
