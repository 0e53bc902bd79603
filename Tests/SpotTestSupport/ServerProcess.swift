import Foundation
import Synchronization

/// A `spot server` process for end-to-end tests, on a free port, with its output in a file.
public final class ServerProcess: @unchecked Sendable {
    public let port: Int
    public let api: APIClient
    public let logPath: String
    private let child: ChildProcess

    /// Starts `spot server --port <free port> <arguments…>` and waits until /health answers 200.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) async throws -> ServerProcess {
        let port = try freePort()
        return try await launch(["server", "--port", String(port)] + arguments, port: port, environment: environment)
    }

    /// Starts `spot <arguments…>` (which must serve on `port`) and waits until /health answers 200.
    public static func launch(
        _ arguments: [String], port: Int, environment: [String: String] = [:]
    ) async throws -> ServerProcess {
        try await launch(
            executable: try spotBinary(), arguments, port: port,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    /// Starts any command that serves on `port` (a script that builds first, say) with exactly
    /// `environment`, and waits up to `timeout` until /health answers 200.
    public static func launch(
        executable: String, _ arguments: [String], port: Int, environment: [String: String],
        timeout: Duration = .seconds(180)
    ) async throws -> ServerProcess {
        let server = try ServerProcess(port: port, executable: executable, arguments: arguments, environment: environment)
        try await server.waitUntilHealthy(timeout: timeout)
        return server
    }

    private init(port: Int, executable: String, arguments: [String], environment: [String: String]) throws {
        self.port = port
        api = APIClient(port: port)
        // A name of its own: a log left by another run (another user's, perhaps) on the same port cannot be truncated.
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("spot-server-\(port)-\(UUID().uuidString).log").path
        child = try ChildProcess(executable, arguments, environment: environment, outputPath: logPath)
    }

    private func waitUntilHealthy(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard child.isRunning else { throw ServerFailed(log: log) }
            if let health = try? await api.get("/health"), health.status == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ServerFailed(log: log)
    }

    /// The server's output so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    public var isRunning: Bool { child.isRunning }

    /// The process id (for a test that signals it from another process).
    public var pid: Int32 { child.pid }

    /// Freezes the process (SIGSTOP): its sockets stay open and the kernel still accepts
    /// connections, but nothing answers — a hung server, not a refused one.
    public func freeze() { child.signal(SIGSTOP) }

    /// Lets a frozen process run again (SIGCONT).
    public func thaw() { child.signal(SIGCONT) }

    /// Sends `signal` and waits up to `timeout` for the process to end; returns its exit
    /// status (128 + signal number when a signal ended it).
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async throws -> Int32 {
        if child.isRunning { child.signal(signal) }
        let deadline = ContinuousClock.now + timeout
        while child.isRunning {
            guard ContinuousClock.now < deadline else { throw ServerFailed(log: "did not stop after \(timeout)\n" + log) }
            try await Task.sleep(for: .milliseconds(100))
        }
        return child.exitStatus ?? -1
    }

    deinit {
        if child.isRunning { child.signal(SIGKILL) }
    }

    public struct ServerFailed: Error, CustomStringConvertible {
        public let log: String
        public var description: String { "spot server failed:\n\(log)" }
    }
}

/// Ports this test process has handed out: never handed out twice.
private let handedOut = Mutex<Set<Int>>([])

/// A TCP port on 127.0.0.1 nobody listens on right now, never handed out before in this test
/// process, and outside Linux's ephemeral range (32768–60999), so neither a test running in
/// parallel nor an outgoing connection's source port can take it before its server binds.
public func freePort() throws -> Int {
    for _ in 0..<1_000 {
        let port = Int.random(in: 20_000..<32_000)
        guard handedOut.withLock({ !$0.contains(port) }), canBind(port) else { continue }
        if handedOut.withLock({ $0.insert(port).inserted }) { return port }
    }
    throw ServerProcess.ServerFailed(log: "no free port between 20000 and 32000")
}

private func canBind(_ port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

/// A child process started with posix_spawn, its output appended to a file, polled
/// with waitpid (Foundation's `Process` can miss a child's exit on Linux).
public final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?

    /// Starts `executable`; standard error goes to `errorPath`, or with standard output when nil.
    init(
        _ executable: String, _ arguments: [String], environment: [String: String], outputPath: String,
        errorPath: String? = nil, inputPath: String = "/dev/null"
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let errorPath {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw ServerProcess.ServerFailed(log: "cannot start \(executable): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    var isRunning: Bool {
        lock.withLock {
            if status != nil { return false }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return true }
            status = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            return false
        }
    }

    /// The exit status once the process has ended.
    var exitStatus: Int32? { lock.withLock { status } }

    func signal(_ signal: Int32) { kill(pid, signal) }
}
