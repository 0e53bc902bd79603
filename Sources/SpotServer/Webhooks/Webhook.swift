import Foundation
import SpotSync

/// An organizer's webhook endpoint. Its secret is shown once, when it is created
/// (``CreatedWebhookEndpoint``); afterwards only its last four characters.
struct WebhookEndpoint: Codable, Sendable, Equatable {
    @LowercaseUUID var id: UUID
    let url: String
    let eventTypes: [WebhookEventType]
    let secretHint: String
    let createdAt: Date
}

/// A new endpoint with its signing secret: the only time the secret is shown.
struct CreatedWebhookEndpoint: Codable, Sendable {
    let endpoint: WebhookEndpoint
    let secret: String
}

/// One delivery of one event to one endpoint, as the delivery log shows it.
struct WebhookDelivery: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable {
        /// Waiting for its first attempt, or (failed) for its next one.
        case queued, sending, failed, sent, dead
    }

    @LowercaseUUID var id: UUID
    @LowercaseUUID var eventID: UUID
    let type: WebhookEventType
    let status: Status
    let attempts: Int
    let responseStatus: Int?
    let lastError: String?
    let createdAt: Date
    let deliveredAt: Date?
}

extension WebhookEventType: PostgresText {}
extension WebhookDelivery.Status: PostgresText {}
