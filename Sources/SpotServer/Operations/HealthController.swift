import Foundation
import Hummingbird
import Logging
import Prometheus
import SpotCore

/// `/health` and `/metrics`.
struct HealthController: Sendable {
    let database: Database
    let latestMigration: Int
    let registry: PrometheusCollectorRegistry

    struct Health: ResponseEncodable {
        struct DatabaseHealth: Codable {
            let reachable: Bool
            let serverVersion: String?
            let migration: Int?
            let latestMigration: Int
        }
        let status: String
        let version: String
        let database: DatabaseHealth
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Health> {
        do {
            let (status, migration) = try await withTimeout(.seconds(3)) {
                (try await DatabaseStatus.probe(database.client, logger: context.logger),
                 try await Migrator.currentVersion(database.client, logger: context.logger))
            }
            let ok = migration == latestMigration
            return .init(
                status: ok ? .ok : .serviceUnavailable,
                response: .init(
                    status: ok ? "ok" : "migrating", version: HVFLVSPOT.version,
                    database: .init(reachable: true, serverVersion: status.serverVersion, migration: migration,
                                    latestMigration: latestMigration)))
        } catch {
            context.logger.warning("health check: database unreachable", metadata: ["error": "\(error)"])
            return .init(
                status: .serviceUnavailable,
                response: .init(
                    status: "unavailable", version: HVFLVSPOT.version,
                    database: .init(reachable: false, serverVersion: nil, migration: nil, latestMigration: latestMigration)))
        }
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
}
