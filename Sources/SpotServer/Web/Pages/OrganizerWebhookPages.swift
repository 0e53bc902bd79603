import Foundation
import Hummingbird

/// `/organizer/webhooks`: the organizer's webhook endpoints — add one (its secret shown once,
/// on the page that answers the form), send a test, delete, and each endpoint's latest
/// deliveries. The checks are the API's (``WebhookController/validated(url:eventTypes:allowsPrivateTargets:)``).
struct OrganizerWebhookPages: OrganizerPage, Sendable {
    let pages: PageRenderer
    let organizers: OrganizerRepository
    let webhooks: WebhookRepository
    let allowsPrivateTargets: Bool
    let clock: ServerClock

    /// Deliveries the page shows per endpoint (the API's log has more).
    static let deliveriesShown = 10

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("organizer/webhooks", use: page)
        site.post("organizer/webhooks", use: create)
        site.post("organizer/webhooks/:id/test", use: test)
        site.post("organizer/webhooks/:id/delete", use: delete)
    }

    struct WebhooksPage {
        struct Choice {
            let value: String
            let checked: Bool
        }

        struct Delivery {
            let when: String
            let type: String
            let status: String
            let attempts: Int
            let response: String
            let error: String?
        }

        struct Endpoint {
            let id: String
            let url: String
            let types: String
            let secretHint: String
            let created: String
            let deliveries: [Delivery]
            let hasDeliveries: Bool
        }

        let notice: String?
        let problem: String?
        /// The secret of the endpoint just created: shown this once.
        let newSecret: String?
        let endpoints: [Endpoint]
        let hasEndpoints: Bool
        let url: String
        let choices: [Choice]
        let developmentMode: Bool
    }

    private func render(
        _ organizer: Organizer, notice: String?, problem: String?, newSecret: String?, url: String, chosen: Set<String>,
        status: HTTPResponse.Status, context: AppRequestContext
    ) async throws -> Response {
        var endpoints: [WebhooksPage.Endpoint] = []
        for endpoint in try await webhooks.endpoints(organizer: organizer.id, logger: context.logger) {
            let deliveries = try await webhooks.deliveries(of: endpoint.id, organizer: organizer.id, logger: context.logger)
                .prefix(Self.deliveriesShown).map { delivery in
                    WebhooksPage.Delivery(
                        when: Formatting.dateTime(delivery.createdAt, seconds: true), type: delivery.type.rawValue,
                        status: delivery.status.rawValue, attempts: delivery.attempts,
                        response: delivery.responseStatus.map { "HTTP \($0)" } ?? "—", error: delivery.lastError)
                }
            endpoints.append(WebhooksPage.Endpoint(
                id: Self.id(endpoint.id), url: endpoint.url, types: endpoint.eventTypes.map(\.rawValue).joined(separator: ", "),
                secretHint: endpoint.secretHint, created: Formatting.dateTime(endpoint.createdAt), deliveries: deliveries,
                hasDeliveries: !deliveries.isEmpty))
        }
        let model = WebhooksPage(
            notice: notice, problem: problem, newSecret: newSecret, endpoints: endpoints, hasEndpoints: !endpoints.isEmpty,
            url: url, choices: WebhookEventType.subscribable.map { .init(value: $0.rawValue, checked: chosen.contains($0.rawValue)) },
            developmentMode: allowsPrivateTargets)
        return try pages.render("organizer_webhooks", title: "Webhooks", page: model, web: context.web, status: status)
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        return try await render(
            organizer, notice: notice(request), problem: nil, newSecret: nil, url: "", chosen: [], status: .ok, context: context)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        let form = context.web.form
        let url = form["url"] ?? "", chosen = form.all("event_types")
        do {
            let (target, types) = try WebhookController.validated(
                url: url, eventTypes: chosen, allowsPrivateTargets: allowsPrivateTargets)
            let created = try await webhooks.create(
                organizer: organizer.id, target: target, eventTypes: types, now: clock.now(), logger: context.logger)
            return try await render(
                organizer, notice: "The endpoint was added. Copy its signing secret now: it is not shown again.", problem: nil,
                newSecret: created.secret, url: "", chosen: [], status: .ok, context: context)
        } catch let error as DomainError where error.isFormProblem {
            return try await render(
                organizer, notice: nil, problem: error.formProblem, newSecret: nil, url: url, chosen: Set(chosen),
                status: error.status, context: context)
        }
    }

    @Sendable func test(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        _ = try await webhooks.queueTest(
            try context.parameters.requireUUID("id"), organizer: organizer.id, now: clock.now(), logger: context.logger)
        return .redirect(to: "/organizer/webhooks?notice=webhook_test_queued")
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        try await webhooks.delete(try context.parameters.requireUUID("id"), organizer: organizer.id, logger: context.logger)
        return .redirect(to: "/organizer/webhooks?notice=webhook_deleted")
    }
}
