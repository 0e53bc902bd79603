import Foundation

/// Where and how the server sends email: `smtp://[user:password@]host[:port]` (port 25 unless
/// given; STARTTLS whenever the server offers it, and a password only over TLS unless the relay
/// is on this machine) or `smtps://…` (TLS from the first byte, port 465 unless given).
public struct SMTPConfiguration: Sendable, Equatable {
    public enum Security: String, Sendable {
        /// Plain TCP, upgraded with STARTTLS when offered.
        case startTLSWhenOffered = "smtp"
        /// TLS from the start (RFC 8314).
        case implicitTLS = "smtps"
    }

    public let host: String
    public let port: Int
    public let security: Security
    let credentials: SMTPSession.Credentials?
    /// The envelope sender and `From:`.
    let from: MailAddress
    /// PEM certificates to trust instead of the system's (a relay with a private CA).
    public let trustRootsFile: String?
    /// The name this server gives in EHLO.
    public let clientName: String

    /// Reads `--smtp-url`, `--mail-from` and `--smtp-ca-file`; a clear error names what is wrong.
    public init(url text: String, from: String, trustRootsFile: String? = nil, clientName: String? = nil) throws(ConfigurationError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme.flatMap(Security.init(rawValue:)) else {
            throw ConfigurationError("the SMTP URL must look like smtp://user:password@host:587 or smtps://host:465")
        }
        guard let host = url.host, !host.isEmpty else { throw ConfigurationError("the SMTP URL has no host") }
        guard url.path.isEmpty || url.path == "/", url.query == nil else {
            throw ConfigurationError("the SMTP URL takes no path or query")
        }
        let port = url.port ?? (scheme == .implicitTLS ? 465 : 25)
        guard (1...65535).contains(port) else { throw ConfigurationError("the SMTP port must be 1 to 65535") }
        guard let sender = MailAddress(from) else {
            throw ConfigurationError("--mail-from must be an address, optionally with a name: HVFLVSPOT <tickets@example.com>")
        }
        if let user = url.percentEncodedUser {
            guard let username = user.removingPercentEncoding, let password = url.percentEncodedPassword?.removingPercentEncoding,
                !username.isEmpty
            else { throw ConfigurationError("the SMTP URL's user and password must both be given (percent-encoded)") }
            credentials = .init(username: username, password: password)
        } else {
            credentials = nil
        }
        if let trustRootsFile, !FileManager.default.isReadableFile(atPath: trustRootsFile) {
            throw ConfigurationError("the SMTP CA file \(trustRootsFile) cannot be read")
        }
        self.host = host
        self.port = port
        security = scheme
        self.from = sender
        self.trustRootsFile = trustRootsFile
        self.clientName = clientName ?? (ProcessInfo.processInfo.hostName.isEmpty ? "localhost" : ProcessInfo.processInfo.hostName)
    }

    /// The relay is on this machine: a password may cross the loopback interface without TLS.
    var isLoopback: Bool { ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased()) }

    /// For logs: the URL without its password.
    public var redactedDescription: String {
        "\(security.rawValue)://\(credentials.map { "\($0.username):***@" } ?? "")\(host):\(port)"
    }
}

/// A configuration value the server cannot start with.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
