import AsyncHTTPClient
import Foundation

/// Waits (up to 30 s) until a server started in this process answers `GET /health`.
func waitUntilHealthy(port: Int) async throws {
    for _ in 0..<300 {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health")
        request.method = .GET
        if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), response.status == .ok { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw CLIError.failure("the server on port \(port) did not start within 30 s")
}
