import Foundation

/// A webhook receiver on a free port of 127.0.0.1 (`Tests/Tools/webhook_receiver.py`) that
/// verifies every request's signature with Python's own hmac against the secrets it is given.
public final class WebhookReceiver: @unchecked Sendable {
    public let port: Int
    private let tool: ListeningTool
    public var directory: URL { tool.directory }

    /// `fail`: the first verified requests answered 500; `gone`: every one answered 410.
    public static func start(fail: Int = 0, gone: Bool = false) async throws -> WebhookReceiver {
        let directory = try makeTemporaryDirectory("spot-webhooks")
        let secrets = directory.appendingPathComponent("secrets.json")
        try Data("[]".utf8).write(to: secrets)
        let port = try freePort()
        var arguments = [
            repositoryRoot.appendingPathComponent("Tests/Tools/webhook_receiver.py").path, "--port", String(port),
            "--dir", directory.path, "--secrets", secrets.path, "--fail", String(fail),
        ]
        if gone { arguments.append("--gone") }
        return WebhookReceiver(port: port, tool: try await ListeningTool.start(arguments, in: directory, what: "the webhook receiver"))
    }

    private init(port: Int, tool: ListeningTool) {
        self.port = port
        self.tool = tool
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// The secrets signatures are checked against from now on.
    public func trust(_ secrets: [String]) throws {
        try JSONSerialization.data(withJSONObject: secrets).write(to: directory.appendingPathComponent("secrets.json"))
    }

    /// Every request so far, in order: `path`, `headers` (lower-case names), `body`, `verified`, `status`.
    public func requests() throws -> [JSON] {
        var found: [JSON] = []
        for number in 1... {
            guard let data = try? Data(contentsOf: directory.appendingPathComponent("\(number).json")) else { break }
            found.append(JSON(try JSONSerialization.jsonObject(with: data)))
        }
        return found
    }

    public func stop() { tool.stop() }
}
