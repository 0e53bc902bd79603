import Foundation

/// The `spot` executable built next to the test bundle (`swift build --build-tests`
/// builds both), or the one named by SPOT_BINARY.
public func spotBinary() throws -> String {
    if let override = ProcessInfo.processInfo.environment["SPOT_BINARY"] { return override }
    let testExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = testExecutable.deletingLastPathComponent()
    // On Linux the test runner is `<products>/HVFLVSPOTPackageTests.xctest`; `spot` sits beside it.
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent("spot").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
        if directory.lastPathComponent == ".build" { break }
    }
    throw MissingTool(name: "spot (build it first: swift build --build-tests)")
}

/// Runs `spot` with `arguments`.
public func spot(_ arguments: String..., stdin: String? = nil) async throws -> ProcessResult {
    try await runProcess(try spotBinary(), arguments, stdin: stdin)
}
