import Foundation

/// What a finished child process left behind.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs an executable (absolute path, or a name looked up in PATH) to completion.
/// posix_spawn with output in files, polled with waitpid between short sleeps: it never
/// blocks a thread of the concurrency pool (Foundation's `Process.waitUntilExit` can,
/// and on two cores that starves every other test).
public func runProcess(
    _ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil
) async throws -> ProcessResult {
    let directory = try makeTemporaryDirectory("spot-process")
    defer { try? FileManager.default.removeItem(at: directory) }
    let outputPath = directory.appendingPathComponent("stdout").path
    let errorPath = directory.appendingPathComponent("stderr").path
    let inputPath = directory.appendingPathComponent("stdin").path
    try Data((stdin ?? "").utf8).write(to: URL(fileURLWithPath: inputPath))
    let child = try ChildProcess(
        try resolveExecutable(executable), arguments, environment: environment ?? ProcessInfo.processInfo.environment,
        outputPath: outputPath, errorPath: errorPath, inputPath: inputPath)
    while child.isRunning { try await Task.sleep(for: .milliseconds(5)) }
    return ProcessResult(
        status: child.exitStatus ?? -1,
        stdout: String(decoding: try Data(contentsOf: URL(fileURLWithPath: outputPath)), as: UTF8.self),
        stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: errorPath)), as: UTF8.self))
}

/// Options given as `--name`, `value` pairs, written `--name=value`: Python's argparse takes a
/// separate value that begins with "-" (a random token, a Base45 ticket payload) for an option.
public func attachedOptions(_ pairs: [String]) -> [String] {
    precondition(pairs.count.isMultiple(of: 2), "options come in --name, value pairs: \(pairs)")
    return stride(from: 0, to: pairs.count, by: 2).map { index in
        precondition(pairs[index].hasPrefix("--"), "\(pairs[index]) is not an option name")
        return pairs[index] + "=" + pairs[index + 1]
    }
}

/// The absolute path of `name` found in PATH (or `name` itself when it contains a slash).
public func resolveExecutable(_ name: String) throws -> String {
    if name.contains("/") { return name }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw MissingTool(name: name)
}

/// A tool the tests need is not installed.
public struct MissingTool: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "'\(name)' is not installed: run ./scripts/test, which installs what the tests need" }
}
