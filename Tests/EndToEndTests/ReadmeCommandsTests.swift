import Foundation
import SpotTestSupport
import Testing

/// The README's commands exactly as a newcomer types them: `./scripts/demo` in a fresh copy of
/// the repository (its own build, `demo-output` created by the demo itself, default ports), and
/// `spot server` with its default data directory — as root when the tests run as root, as CI does.
@Suite("README commands, as written", .serialized)
struct ReadmeCommandsTests {
    static let serverPort = 8080
    static let nodePort = 8081

    @Test("./scripts/demo in a fresh clone builds, serves the server and the kiosk, and stops on Ctrl-C")
    func demoFromFreshClone() async throws {
        try await Self.requireFree([Self.serverPort, Self.nodePort])
        let base = try Self.reachableTemporaryDirectory("spot-readme-demo")
        defer { try? FileManager.default.removeItem(at: base) }
        let clone = base.appendingPathComponent("hvflvspot")
        try await Self.exportWorkingTree(to: clone)
        #expect(!FileManager.default.fileExists(atPath: clone.appendingPathComponent("demo-output").path))

        let demo = try await ServerProcess.launch(
            executable: "/bin/sh", ["-c", "cd \"$1\" && exec ./scripts/demo", "sh", clone.path], port: Self.serverPort,
            environment: Self.userEnvironment, timeout: .seconds(40 * 60))
        let kiosk = APIClient(port: Self.nodePort)
        try await Self.waitUntil("the kiosk answers", of: demo) { try await kiosk.get("/kiosk/").text.contains("Staff sign-in") }
        #expect(try await demo.api.get("/api/v1/events?per_page=1").json["total"].int == 501)
        let output = clone.appendingPathComponent("demo-output")
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("server/postgres/PG_VERSION").path))
        // Others may pass through the demo's folder (PostgreSQL runs as `postgres` under root), not into its secrets.
        #expect((Self.mode(of: output) ?? 0) & 0o001 != 0)
        #expect((Self.mode(of: output.appendingPathComponent("keys")) ?? 0) & 0o077 == 0)
        #expect(try await demo.stop(signal: SIGINT, timeout: .seconds(60)) == 0, "\(demo.log)")
        #expect(demo.log.contains("Stopped."))
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("server/postgres/postmaster.pid").path))
    }

    @Test("spot server with no arguments keeps an embedded PostgreSQL in ./spot-data and stops on Ctrl-C")
    func serverWithDefaults() async throws {
        try await Self.requireFree([Self.serverPort])
        let base = try Self.reachableTemporaryDirectory("spot-readme-server")
        defer { try? FileManager.default.removeItem(at: base) }
        let server = try await ServerProcess.launch(
            executable: "/bin/sh", ["-c", "cd \"$1\" && exec \"$2\" server", "sh", base.path, try spotBinary()],
            port: Self.serverPort, environment: Self.userEnvironment)
        #expect(try await server.api.get("/health").json["database"]["reachable"].bool == true)
        #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("spot-data/postgres/PG_VERSION").path))
        #expect(try await server.stop(signal: SIGINT) == 0, "\(server.log)")
        #expect(!FileManager.default.fileExists(atPath: base.appendingPathComponent("spot-data/postgres/postmaster.pid").path))
    }

    @Test("Where the postgres user cannot reach the data directory, the error names the private directory and the ways out")
    func unreachableDataDirectory() async throws {
        guard getuid() == 0 else { return }  // only root runs PostgreSQL as another user
        let base = try Self.reachableTemporaryDirectory("spot-readme-private")
        defer { try? FileManager.default.removeItem(at: base) }
        let private_ = base.appendingPathComponent("private")
        try FileManager.default.createDirectory(at: private_, withIntermediateDirectories: false)
        chmod(private_.path, 0o700)
        let result = try await spot("server", "--data-dir", private_.appendingPathComponent("data").path, "--port", String(try freePort()))
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(private_.path) is private"), "\(result.stderr)")
        #expect(result.stderr.contains("chmod o+x \(private_.path)"))
        #expect(result.stderr.contains("--data-dir /var/lib/hvflvspot"))
        #expect(result.stderr.contains("--database-url"))
    }

    // MARK: Helpers

    /// A shell user's environment: no variables of the test runner that could steer SwiftPM.
    static var userEnvironment: [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var environment = ["PATH": inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"]
        for name in ["HOME", "CI", "TMPDIR"] { environment[name] = inherited[name] }
        return environment
    }

    /// A new temporary directory every user may pass through (mode 0755), as a clone in /srv or /home is.
    static func reachableTemporaryDirectory(_ prefix: String) throws -> URL {
        let url = try makeTemporaryDirectory(prefix)
        chmod(url.path, 0o755)
        return url
    }

    /// What `git clone` of the current work would give: every tracked and untracked, not ignored
    /// file as it is now (uncommitted changes included), without `.build` or `demo-output`.
    static func exportWorkingTree(to destination: URL) async throws {
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        let index = destination.deletingLastPathComponent().appendingPathComponent("export-index").path
        let script = """
            set -e
            export GIT_INDEX_FILE="$2"
            git -C "$1" add -A
            tree=$(git -C "$1" write-tree)
            git -C "$1" archive --format=tar "$tree" | tar -x -C "$3"
            """
        let result = try await runProcess("/bin/sh", ["-c", script, "sh", repositoryRoot.path, index, destination.path])
        try #require(result.status == 0, "exporting the working tree failed: \(result.stderr)")
        try? FileManager.default.removeItem(atPath: index)
    }

    static func requireFree(_ ports: [Int]) async throws {
        for port in ports {
            let answered = (try? await APIClient(port: port).get("/health")) != nil
            try #require(!answered, "port \(port) is taken: the README's commands use it; stop what runs there first")
        }
    }

    static func waitUntil(
        _ what: String, of process: ServerProcess, timeout: Duration = .seconds(300), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            try #require(process.isRunning, "the process ended before \(what):\n\(process.log)")
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("\(what) did not happen within \(timeout):\n\(process.log)")
    }

    static func mode(of url: URL) -> mode_t? {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }
}
