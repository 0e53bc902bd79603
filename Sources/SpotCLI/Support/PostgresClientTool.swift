import Foundation

/// One of PostgreSQL's own programs (`pgbench`, `psql`), run beside a benchmark on the same
/// database: the limit a figure is read against.
struct PostgresClientTool {
    let name: String
    let executable: URL

    /// `name` on the PATH, or the newest in Debian's `/usr/lib/postgresql/<version>/bin`.
    static func locate(_ name: String) throws -> PostgresClientTool {
        let fileManager = FileManager.default
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") where fileManager.isExecutableFile(atPath: "\(directory)/\(name)") {
            return PostgresClientTool(name: name, executable: URL(fileURLWithPath: "\(directory)/\(name)"))
        }
        let versions = ((try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap(Int.init).sorted()
        for version in versions.reversed() where fileManager.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/\(name)") {
            return PostgresClientTool(name: name, executable: URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin/\(name)"))
        }
        throw CLIError.failure("\(name) was not found (Debian: apt-get install postgresql-15, which scripts/test installs)")
    }

    /// pgbench's TPC-B transactions per second at `clients` clients, `transactions` each, its tables
    /// created first and dropped after. A count, not a duration: pgbench ends a timed run on
    /// SIGALRM, which a child of this process inherits blocked, so `-T` would never end.
    func tpcB(url: String, clients: Int, transactions: Int, scale: Int) throws -> Double {
        _ = try run(["-i", "-q", "-s", String(scale), url])
        defer { _ = try? run(["-i", "-I", "d", url]) }
        let output = try run(["-n", "-c", String(clients), "-j", String(min(clients, 2)), "-t", String(transactions), url])
        // "tps = 2832.123456 (without initial connection time)"
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.dropFirst(6).prefix { !$0.isWhitespace })
        else { throw CLIError.failure("pgbench printed no tps:\n\(output)") }
        return tps
    }

    /// Seconds one run with `arguments` takes.
    func seconds(_ arguments: [String]) throws -> Double {
        let started = ContinuousClock.now
        _ = try run(arguments)
        return SpotCLI.seconds(ContinuousClock.now - started)
    }

    private func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw CLIError.failure("\(name) \(arguments.joined(separator: " ")) exited \(process.terminationStatus):\n\(text)")
        }
        return text
    }
}
