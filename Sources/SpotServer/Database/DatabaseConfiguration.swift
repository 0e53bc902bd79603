import Foundation
import NIOSSL
import PostgresNIO

/// Where and how the server reaches PostgreSQL, parsed from a libpq-style URL:
///
/// - `postgres://user:password@host:5432/database?sslmode=require`
/// - `postgres://user@/database?host=/run/postgresql` (Unix socket in that directory)
///
/// `sslmode` is `disable`, `prefer` (the default over TCP) or `require`;
/// Unix sockets never use TLS.
public struct DatabaseConfiguration: Sendable, Equatable {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(endpoint: Endpoint, username: String, password: String? = nil, database: String, tls: TLSMode) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses a `postgres://` or `postgresql://` URL.
    public init(url text: String) throws(DatabaseURLError) {
        guard let components = URLComponents(string: text) else { throw .unparseable }
        guard components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw .unsupportedScheme(components.scheme ?? "")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard let value = item.value else { throw .invalidParameter(item.name) }
            query[item.name] = value
        }
        let unknown = Set(query.keys).subtracting(["host", "port", "sslmode", "user", "password", "dbname"])
        if let parameter = unknown.sorted().first { throw .unknownParameter(parameter) }

        let portText = query["port"] ?? components.port.map(String.init)
        let port = try portText.map { text throws(DatabaseURLError) -> Int in
            guard let port = Int(text), (1...65535).contains(port) else { throw .invalidParameter("port") }
            return port
        } ?? 5432
        let host = query["host"] ?? components.percentEncodedHost.flatMap { $0.removingPercentEncoding } ?? ""

        let user = query["user"] ?? components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? ""
        guard !user.isEmpty else { throw .missingUser }
        username = user
        password = query["password"] ?? components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let path = components.percentEncodedPath.removingPercentEncoding ?? ""
        database = query["dbname"] ?? (path.hasPrefix("/") ? String(path.dropFirst()) : path)
        if database.isEmpty { database = user }

        if host.hasPrefix("/") {
            endpoint = .unixSocket(path: "\(host)/.s.PGSQL.\(port)")
            guard query["sslmode"].map({ $0 == "disable" || $0 == "prefer" }) ?? true else {
                throw .invalidParameter("sslmode (Unix sockets do not use TLS)")
            }
            tls = .disable
        } else {
            guard !host.isEmpty else { throw .missingHost }
            endpoint = .tcp(host: host, port: port)
            guard let mode = TLSMode(rawValue: query["sslmode"] ?? "prefer") else { throw .invalidParameter("sslmode") }
            tls = mode
        }
    }

    /// The URL this configuration parses from (with the password: hand it to a child process
    /// in its environment, never log it — ``redactedDescription`` is for logs).
    public var url: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.path = "/" + database
        switch endpoint {
        case .tcp(let host, let port):
            components.host = host
            components.port = port
            components.queryItems = [URLQueryItem(name: "sslmode", value: tls.rawValue)]
        case .unixSocket(let path):
            let socket = URL(fileURLWithPath: path)
            let port = socket.lastPathComponent.split(separator: ".").last.map(String.init) ?? "5432"
            components.host = ""
            components.queryItems = [
                URLQueryItem(name: "host", value: socket.deletingLastPathComponent().path), URLQueryItem(name: "port", value: port),
            ]
        }
        return components.string ?? ""
    }

    /// The configuration for postgres-nio's `PostgresClient`.
    public var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .tcp(let host, let port):
            let tlsSetting: PostgresClient.Configuration.TLS =
                switch tls {
                case .disable: .disable
                case .prefer: .prefer(.makeClientConfiguration())
                case .require: .require(.makeClientConfiguration())
                }
            configuration = .init(
                host: host, port: port, username: username, password: password, database: database, tls: tlsSetting)
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        }
        return configuration
    }

    /// The same, for one connection of its own (the sync signal listener's).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        switch endpoint {
        case .tcp(let host, let port):
            let tlsSetting: PostgresConnection.Configuration.TLS =
                switch tls {
                case .disable: .disable
                case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                }
            return .init(host: host, port: port, username: username, password: password, database: database, tls: tlsSetting)
        case .unixSocket(let path):
            return .init(unixSocketPath: path, username: username, password: password, database: database)
        }
    }

    /// A description safe for logs: never the password.
    public var redactedDescription: String {
        let location: String =
            switch endpoint {
            case .tcp(let host, let port): "\(host):\(port)"
            case .unixSocket(let path): path
            }
        return "postgres://\(username)\(password == nil ? "" : ":***")@\(location)/\(database) (tls: \(tls.rawValue))"
    }
}

/// Why a database URL was refused.
public enum DatabaseURLError: Error, Equatable, Sendable, CustomStringConvertible {
    case unparseable
    case unsupportedScheme(String)
    case missingUser
    case missingHost
    case invalidParameter(String)
    case unknownParameter(String)

    public var description: String {
        switch self {
        case .unparseable: "the database URL is not a valid URL"
        case .unsupportedScheme(let scheme): "database URL scheme \"\(scheme)\" is not postgres:// or postgresql://"
        case .missingUser: "the database URL names no user"
        case .missingHost: "the database URL names no host (use ?host=/socket/dir for a Unix socket)"
        case .invalidParameter(let name): "invalid database URL parameter: \(name)"
        case .unknownParameter(let name): "unknown database URL parameter: \(name)"
        }
    }
}
