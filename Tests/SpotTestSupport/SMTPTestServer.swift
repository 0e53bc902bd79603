import Foundation

/// A real SMTP server for the email tests: Debian's aiosmtpd (`Tests/Tools/smtp_server.py`)
/// on a free port of 127.0.0.1, with a self-signed certificate for `localhost` (made by
/// openssl) when it offers STARTTLS. Messages it accepts land in ``directory``.
public final class SMTPTestServer: @unchecked Sendable {
    public let port: Int
    /// The server's certificate, which is its own CA: what the client must trust.
    public let certificatePath: String?
    private let tool: ListeningTool
    public var directory: URL { tool.directory }

    /// Starts the server on `host` (any address of the loopback network): STARTTLS when `tls`;
    /// AUTH required when `user` is given; the first `transient` messages refused with 451;
    /// every message refused with 550 when `permanent`.
    public static func start(
        host: String = "127.0.0.1", tls: Bool, user: String? = nil, password: String? = nil, transient: Int = 0,
        permanent: Bool = false
    ) async throws -> SMTPTestServer {
        let directory = try makeTemporaryDirectory("spot-smtp")
        var arguments = [repositoryRoot.appendingPathComponent("Tests/Tools/smtp_server.py").path, "--dir", directory.path]
        var certificate: String?
        if tls {
            let key = directory.appendingPathComponent("key.pem").path
            certificate = directory.appendingPathComponent("cert.pem").path
            let made = try await runProcess("openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate!, "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            ])
            guard made.status == 0 else { throw Failed(description: "openssl: \(made.stderr)") }
            arguments += ["--cert", certificate!, "--key", key]
        }
        if let user, let password { arguments += ["--user", user, "--password", password] }
        if transient > 0 { arguments += ["--transient", String(transient)] }
        if permanent { arguments.append("--permanent") }
        let port = try freePort()
        let tool = try await ListeningTool.start(
            arguments + ["--port", String(port), "--host", host], in: directory,
            what: "the SMTP test server (is python3-aiosmtpd installed?)")
        return SMTPTestServer(port: port, certificatePath: certificate, tool: tool)
    }

    private init(port: Int, certificatePath: String?, tool: ListeningTool) {
        self.port = port
        self.certificatePath = certificatePath
        self.tool = tool
    }

    /// The messages accepted so far, in order: the raw message and what the server saw
    /// (`mail_from`, `rcpt_tos`, `encrypted`, `authenticated`, `refused_before`).
    public func messages() throws -> [(message: URL, facts: JSON)] {
        var found: [(URL, JSON)] = []
        for number in 1... {
            let base = directory.appendingPathComponent(String(number))
            guard let facts = try? Data(contentsOf: base.appendingPathExtension("json")) else { break }
            found.append((base.appendingPathExtension("eml"), JSON(try JSONSerialization.jsonObject(with: facts))))
        }
        return found
    }

    public func stop() { tool.stop() }

    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }
}
