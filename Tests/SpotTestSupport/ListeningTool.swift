import Foundation

/// A test tool of `Tests/Tools` running under Debian's `/usr/bin/python3`, with a temporary
/// directory of its own; stopped (and its directory removed) by ``stop()``, killed if forgotten.
final class ListeningTool: @unchecked Sendable {
    let child: ChildProcess
    let directory: URL

    private init(child: ChildProcess, directory: URL) {
        self.child = child
        self.directory = directory
    }

    /// Starts the tool (`arguments` begin with its path) and waits until it prints "listening";
    /// `what` names it in the error.
    static func start(_ arguments: [String], in directory: URL, what: String) async throws -> ListeningTool {
        let log = directory.appendingPathComponent("tool.log").path
        let child = try ChildProcess(
            try resolveExecutable("/usr/bin/python3"), arguments, environment: ProcessInfo.processInfo.environment, outputPath: log)
        let tool = ListeningTool(child: child, directory: directory)
        for _ in 0..<100 {
            if let output = try? String(contentsOfFile: log, encoding: .utf8), output.contains("listening") { return tool }
            guard child.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SMTPTestServer.Failed(description: "\(what) did not start:\n" + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? ""))
    }

    func stop() {
        if child.isRunning { child.signal(SIGTERM) }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        if child.isRunning { child.signal(SIGKILL) }
    }
}
