import Foundation

/// A webhook receiver on a free port of 127.0.0.1 (`Tests/Tools/webhook_receiver.py`) that
/// verifies every request's signature with Python's own hmac against the secrets it is given.
public final class WebhookReceiver: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    private let child: ChildProcess

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
        let child = try await startListening(
            arguments, log: directory.appendingPathComponent("receiver.log").path, what: "the webhook receiver")
        return WebhookReceiver(port: port, directory: directory, child: child)
    }

    private init(port: Int, directory: URL, child: ChildProcess) {
        self.port = port
        self.directory = directory
        self.child = child
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

    public func stop() {
        if child.isRunning { child.signal(SIGTERM) }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        if child.isRunning { child.signal(SIGKILL) }
    }
}
