import Foundation
import SpotServer
import SpotTestSupport
import Testing

/// What most door tests start from: the real `spot server` on a test database, a venue with an
/// event on sale and a buyer's tickets, and one node enrolled and synced (not running yet).
struct DoorScene {
    let server: ServerProcess
    let port: Int
    let venue: VenueNodeTests.Venue
    /// The node's data directory.
    let data: String

    static func make(
        database: DatabaseConfiguration, directory: URL, tickets: Int, seats: Int = 5
    ) async throws -> DoorScene {
        let port = try freePort()
        let server = try await ServerProcess.launch(serverArguments(database: database, port: port), port: port)
        let venue = try await VenueNodeTests.venue(server.api, database: database, tickets: tickets)
        let data = directory.appendingPathComponent("node").path
        _ = try await VenueNodeTests.enroll(
            server.api, serverURL: "http://127.0.0.1:\(port)", venue: venue, name: "Door", directory: data, seats: seats)
        try await VenueNodeTests.sync(data)
        return DoorScene(server: server, port: port, venue: venue, data: data)
    }

    static func serverArguments(database: DatabaseConfiguration, port: Int) -> [String] {
        ["server", "--port", String(port), "--database-url", ServerProcessTests.url(database), "--password-cost", "4"]
    }

    /// Enrolls another door of the venue (through the CLI, into `directory/<name>`), not synced yet:
    /// its node id and data directory.
    func enrollDoor(_ name: String, in directory: URL, seats: Int = 1, api: APIClient? = nil) async throws -> (node: UUID, data: String) {
        let data = directory.appendingPathComponent(name.lowercased().replacingOccurrences(of: " ", with: "-")).path
        let node = try await VenueNodeTests.enroll(
            api ?? server.api, serverURL: "http://127.0.0.1:\(port)", venue: venue, name: name, directory: data, seats: seats)
        return (try #require(UUID(uuidString: node)), data)
    }

    /// `spot node run` on a free port (its plain-HTTP one), with `arguments` added.
    func runNode(_ arguments: [String] = []) async throws -> (node: ServerProcess, port: Int) {
        let port = try freePort()
        let node = try await ServerProcess.launch(["node", "run", "--data", data, "--port", String(port)] + arguments, port: port)
        return (node, port)
    }
}
