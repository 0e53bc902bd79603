import Foundation
import Hummingbird

/// `/api/v1/organizers/me/webhooks`: the caller's webhook endpoints — register (the secret is
/// shown once), list, delete, "send test", and each endpoint's delivery log.
struct WebhookController: Sendable {
    let webhooks: WebhookRepository
    let organizers: OrganizerRepository
    let allowsPrivateTargets: Bool
    let clock: ServerClock

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        let group = api.group("organizers/me/webhooks")
        group.get("", use: list)
        group.post("", use: create)
        group.delete(":id", use: delete)
        group.post(":id/test", use: test)
        group.get(":id/deliveries", use: deliveries)
    }

    struct CreateRequest: Decodable {
        let url: String
        let eventTypes: [String]
    }

    /// A registration checked: the URL a target (``WebhookTarget``), the types known and subscribable.
    static func validated(
        url: String, eventTypes: [String], allowsPrivateTargets: Bool
    ) throws -> (WebhookTarget, Set<WebhookEventType>) {
        var problems: [String: String] = [:]
        var target: WebhookTarget?
        do {
            target = try WebhookTarget(url.trimmingCharacters(in: .whitespaces), allowsPrivateTargets: allowsPrivateTargets)
        } catch {
            problems.merge(error.fields ?? [:]) { first, _ in first }
        }
        let types = eventTypes.map { WebhookEventType(rawValue: $0) }
        let subscribable = WebhookEventType.subscribable.map(\.rawValue).joined(separator: ", ")
        if eventTypes.isEmpty || eventTypes.count > 20 || types.contains(where: { $0 == nil || $0 == .test }) {
            problems["event_types"] = "must list one or more of \(subscribable)"
        }
        guard let target, problems.isEmpty else { throw DomainError.validation(problems) }
        return (target, Set(types.compactMap { $0 }))
    }

    struct EndpointList: ResponseEncodable {
        let items: [WebhookEndpoint]
    }

    struct DeliveryList: ResponseEncodable {
        let items: [WebhookDelivery]
    }

    private func organizer(_ context: AppRequestContext) async throws -> Organizer {
        try await organizers.requireOwnProfile(try context.requireIdentity(), logger: context.logger)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> EndpointList {
        EndpointList(items: try await webhooks.endpoints(organizer: try await organizer(context).id, logger: context.logger))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<CreatedWebhookEndpoint> {
        let organizer = try await organizer(context)
        let body = try await request.decodeJSON(as: CreateRequest.self, context: context)
        let (target, types) = try Self.validated(
            url: body.url, eventTypes: body.eventTypes, allowsPrivateTargets: allowsPrivateTargets)
        return .init(
            status: .created,
            response: try await webhooks.create(
                organizer: organizer.id, target: target, eventTypes: types, now: clock.now(), logger: context.logger))
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await webhooks.delete(
            try context.parameters.requireUUID("id"), organizer: try await organizer(context).id, logger: context.logger)
        return .noContent
    }

    @Sendable func test(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<WebhookDelivery> {
        .init(
            status: .accepted,
            response: try await webhooks.queueTest(
                try context.parameters.requireUUID("id"), organizer: try await organizer(context).id, now: clock.now(),
                logger: context.logger))
    }

    @Sendable func deliveries(_ request: Request, context: AppRequestContext) async throws -> DeliveryList {
        DeliveryList(items: try await webhooks.deliveries(
            of: try context.parameters.requireUUID("id"), organizer: try await organizer(context).id, logger: context.logger))
    }
}

extension CreatedWebhookEndpoint: ResponseEncodable {}
extension WebhookDelivery: ResponseEncodable {}
