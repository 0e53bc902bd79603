import Testing

@testable import SpotServer

@Suite("Database URL parsing")
struct DatabaseConfigurationTests {
    @Test("TCP URL with credentials, port and TLS mode")
    func tcp() throws {
        let configuration = try DatabaseConfiguration(url: "postgres://spot:s%40cret@db.example:6543/tickets?sslmode=require")
        #expect(configuration.endpoint == .tcp(host: "db.example", port: 6543))
        #expect(configuration.username == "spot")
        #expect(configuration.password == "s@cret")
        #expect(configuration.database == "tickets")
        #expect(configuration.tls == .require)
        #expect(!configuration.redactedDescription.contains("s@cret"))
        #expect(configuration.redactedDescription.contains(":***@"))
    }

    @Test("Unix socket directory in the host parameter, database defaults to the user")
    func unixSocket() throws {
        let configuration = try DatabaseConfiguration(url: "postgresql://postgres@/?host=/tmp/pg.abc")
        #expect(configuration.endpoint == .unixSocket(path: "/tmp/pg.abc/.s.PGSQL.5432"))
        #expect(configuration.database == "postgres")
        #expect(configuration.tls == .disable)
        #expect(configuration.clientConfiguration.unixSocketPath == "/tmp/pg.abc/.s.PGSQL.5432")
    }

    @Test("TLS is preferred over TCP by default")
    func defaults() throws {
        let configuration = try DatabaseConfiguration(url: "postgres://app@localhost/app")
        #expect(configuration.endpoint == .tcp(host: "localhost", port: 5432))
        #expect(configuration.tls == .prefer)
        #expect(configuration.password == nil)
    }

    @Test("Bad URLs are refused with the reason", arguments: [
        ("mysql://u@h/d", DatabaseURLError.unsupportedScheme("mysql")),
        ("postgres://h/d", .missingUser),
        ("postgres://u@/d", .missingHost),
        ("postgres://u@h/d?sslmode=sometimes", .invalidParameter("sslmode")),
        ("postgres://u@h/d?port=99999", .invalidParameter("port")),
        ("postgres://u@h/d?application=x", .unknownParameter("application")),
    ])
    func invalid(url: String, error: DatabaseURLError) {
        #expect(throws: error) { try DatabaseConfiguration(url: url) }
    }
}
