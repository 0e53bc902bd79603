import Crypto
import Foundation
import Logging
import PostgresNIO
import SpotCore

/// A PostgreSQL cluster the server manages in its own data directory, so a newcomer
/// needs nothing but the installed PostgreSQL binaries: `initdb` on first start, started
/// and stopped with the server, reachable only through a Unix socket in a private
/// directory (run as the `postgres` user when the server runs as root, since
/// PostgreSQL refuses to run as root).
public struct EmbeddedPostgres: Sendable {
    public static let databaseName = "spot"

    public let clusterDirectory: String
    public let socketDirectory: String
    let binDirectory: String
    /// The command prefix that runs PostgreSQL's programs as the right user.
    let runAs: [String]

    /// - Parameters:
    ///   - dataDirectory: the server's data directory; the cluster lives in `postgres/` inside it.
    ///   - binDirectory: PostgreSQL's `bin`; default: the newest under /usr/lib/postgresql.
    public init(dataDirectory: String, binDirectory: String? = nil) throws {
        let data = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        clusterDirectory = data + "/postgres"
        guard let bin = binDirectory ?? Self.newestInstalledBinDirectory() else {
            throw EmbeddedPostgresError.binariesNotFound
        }
        self.binDirectory = bin
        runAs = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        // Unix socket paths are limited to ~107 bytes: fall back to a short directory named after the data directory.
        let preferred = data + "/postgres-run"
        if (preferred + "/.s.PGSQL.5432").utf8.count < 100 {
            socketDirectory = preferred
        } else {
            let digest = Data(SHA256.hash(data: Data(data.utf8)).prefix(6)).hexString
            socketDirectory = "/tmp/spot-pg-\(digest)"
        }
    }

    /// The database to connect to once the cluster runs.
    public var configuration: DatabaseConfiguration {
        DatabaseConfiguration(
            endpoint: .unixSocket(path: socketDirectory + "/.s.PGSQL.5432"), username: "postgres",
            database: Self.databaseName, tls: .disable)
    }

    /// Takes the data directory for this process (one server per data directory),
    /// creates the cluster if needed, starts it — or adopts it when it still runs after
    /// the previous server was killed — and creates the `spot` database.
    /// The returned lock is held until the process ends; ``stop(logger:)`` stops the cluster.
    public func start(logger: Logger) async throws -> DataDirectoryLock {
        try prepareDirectories()
        let lock = try DataDirectoryLock(directory: (clusterDirectory as NSString).deletingLastPathComponent)
        if !FileManager.default.fileExists(atPath: clusterDirectory + "/PG_VERSION") {
            logger.info("creating the embedded PostgreSQL cluster", metadata: ["directory": "\(clusterDirectory)"])
            try run("initdb", ["-D", clusterDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        }
        if try isRunning() {
            logger.info("embedded PostgreSQL already running (left by a previous server): adopting it")
        } else {
            try run("pg_ctl", [
                "-D", clusterDirectory, "-l", clusterDirectory + "/server.log", "-w", "-t", "60",
                "-o", "-k \(socketDirectory) -c listen_addresses='' -c unix_socket_permissions=0700", "start",
            ])
            logger.info("embedded PostgreSQL started", metadata: ["socket": "\(socketDirectory)"])
        }
        try await createDatabaseIfMissing(logger: logger)
        return lock
    }

    /// Stops the cluster (fast shutdown: running transactions are rolled back, nothing committed is lost).
    public func stop(logger: Logger) throws {
        guard try isRunning() else { return }
        try run("pg_ctl", ["-D", clusterDirectory, "-m", "fast", "-w", "stop"])
        logger.info("embedded PostgreSQL stopped")
    }

    func isRunning() throws -> Bool {
        guard FileManager.default.fileExists(atPath: clusterDirectory + "/PG_VERSION") else { return false }
        // pg_ctl status: 0 running, 3 not running, 4 no accessible data directory.
        let status = try run("pg_ctl", ["-D", clusterDirectory, "status"], allowFailure: true)
        return status == 0
    }

    private func prepareDirectories() throws {
        let manager = FileManager.default
        // The data directory itself only needs to be traversable by the postgres user.
        let data = (clusterDirectory as NSString).deletingLastPathComponent
        if !manager.fileExists(atPath: data) {
            try manager.createDirectory(atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        }
        for directory in [clusterDirectory, socketDirectory] where !manager.fileExists(atPath: directory) {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        if !runAs.isEmpty {
            for directory in [clusterDirectory, socketDirectory] {
                guard Self.execute("/bin/chown", ["postgres:postgres", directory]) == 0 else {
                    throw EmbeddedPostgresError.cannotPrepare(directory)
                }
            }
            // The postgres user must be able to reach its directories through every parent.
            guard canPostgresUser("-w", clusterDirectory) else {
                throw EmbeddedPostgresError.unreachable(clusterDirectory, privateParent: firstPrivateParent(of: clusterDirectory))
            }
        }
    }

    private func canPostgresUser(_ test: String, _ path: String) -> Bool {
        Self.execute(runAs[0], Array(runAs.dropFirst()) + ["/usr/bin/test", test, path]) == 0
    }

    /// The outermost directory above `path` the postgres user cannot pass through, if any.
    private func firstPrivateParent(of path: String) -> String? {
        var parents: [String] = []
        var current = (path as NSString).deletingLastPathComponent
        while current != "/", !current.isEmpty {
            parents.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        return parents.reversed().first { !canPostgresUser("-x", $0) }
    }

    private func createDatabaseIfMissing(logger: Logger) async throws {
        var maintenance = configuration
        maintenance.database = "postgres"
        let client = PostgresClient(configuration: maintenance.clientConfiguration, backgroundLogger: logger.backgroundErrorsOnly)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let exists = try await client.returnsRow(
                "SELECT 1 FROM pg_database WHERE datname = \(Self.databaseName)", logger: logger)
            if !exists {
                try await client.query("CREATE DATABASE \(unescaped: Self.databaseName)", logger: logger)
            }
        }
    }

    @discardableResult
    private func run(_ program: String, _ arguments: [String], allowFailure: Bool = false) throws -> Int32 {
        let executable = binDirectory + "/" + program
        let command = runAs.isEmpty ? [executable] + arguments : runAs + [executable] + arguments
        let status = Self.execute(command[0], Array(command.dropFirst()))
        if status != 0, !allowFailure {
            throw EmbeddedPostgresError.commandFailed(program, status: status, log: clusterDirectory + "/server.log")
        }
        return status
    }

    /// Runs a program with its output discarded and waits for it; returns the exit
    /// status (-1 if it cannot start). posix_spawn + waitpid, because Foundation's
    /// `Process.waitUntilExit` can miss the exit of a child that forks a daemon.
    private static func execute(_ executable: String, _ arguments: [String]) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return -1 }
        }
        // WIFEXITED / WEXITSTATUS
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : -1
    }

    static func newestInstalledBinDirectory() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted().reversed()
            .map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }
}

/// An exclusive lock on a server data directory (`spot.lock`, holding the owner's pid),
/// released when the process ends, however it ends.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    init(directory: String) throws {
        let path = directory + "/spot.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw EmbeddedPostgresError.cannotPrepare(path) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = read(descriptor, &buffer, buffer.count)
            close(descriptor)
            let owner = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw EmbeddedPostgresError.inUse(directory, owner: owner)
        }
        ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
    }

    deinit { close(descriptor) }
}

/// Why the embedded PostgreSQL could not be used.
public enum EmbeddedPostgresError: Error, CustomStringConvertible {
    case binariesNotFound
    case cannotPrepare(String)
    case unreachable(String, privateParent: String?)
    case commandFailed(String, status: Int32, log: String)
    case inUse(String, owner: String)

    public var description: String {
        switch self {
        case .binariesNotFound:
            "PostgreSQL server binaries were not found under /usr/lib/postgresql: install postgresql-15 "
                + "(apt-get install postgresql-15) or give --database-url"
        case .cannotPrepare(let directory):
            "cannot prepare \(directory) for the postgres user"
        case .unreachable(let directory, let privateParent):
            "the postgres user (PostgreSQL refuses to run as root) cannot reach \(directory)"
                + (privateParent.map { ": \($0) is private to its owner. Either let other users pass through it "
                    + "(chmod o+x \($0): they can then reach what is below it, not list it), or" } ?? ". Either")
                + " keep the data in a shared place (spot server --data-dir /var/lib/hvflvspot, "
                + "spot demo --dir /var/lib/hvflvspot-demo), or use your own PostgreSQL (--database-url)"
        case .inUse(let directory, let owner):
            "another spot process (pid \(owner.isEmpty ? "unknown" : owner)) is using the data directory \(directory)"
        case .commandFailed(let program, let status, let log):
            "\(program) failed with status \(status); see \(log)"
        }
    }
}
