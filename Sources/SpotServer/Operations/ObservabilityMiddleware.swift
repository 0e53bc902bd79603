import HTTPTypes
import Hummingbird
import Logging
import Prometheus

/// For every request: a Prometheus count (method, route, status) and latency
/// observation, one structured log line, and the request id echoed as `X-Request-ID`
/// (the same id the request's log lines carry as `hb.request.id`).
struct ObservabilityMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry

    static var buckets: [Duration] {
        [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
         .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5)]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        // The matched route pattern (e.g. /api/v1/events/{id}), never the raw path: bounded label values.
        let route = context.endpointPath.map { $0 == "NotFound" ? "unmatched" : $0 } ?? "unmatched"
        let method = request.method.rawValue
        let status = String(response.status.code)
        registry.makeCounter(
            name: "http_requests_total", labels: [("method", method), ("route", route), ("status", status)]
        ).increment()
        registry.makeDurationHistogram(
            name: "http_request_duration_seconds", labels: [("method", method), ("route", route)], buckets: Self.buckets
        ).record(elapsed)
        response.headers[.requestID] = context.id
        context.logger.info(
            "request",
            metadata: [
                "method": .string(method), "route": .string(route), "status": .string(status),
                "duration_ms": .stringConvertible(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000),
            ])
        return response
    }
}

extension HTTPField.Name {
    static let requestID = Self("X-Request-ID")!
}
