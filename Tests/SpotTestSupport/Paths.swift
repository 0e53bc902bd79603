import Foundation

/// The repository root (this file is Tests/SpotTestSupport/Paths.swift).
public let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A new empty directory under the system temporary directory.
public func makeTemporaryDirectory(_ prefix: String = "spot-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A directory under `test-artifacts/` kept after the run (screenshots, images) for inspection.
public func artifactDirectory(_ name: String) throws -> URL {
    let url = repositoryRoot.appendingPathComponent("test-artifacts/\(name)")
    try? FileManager.default.removeItem(at: url)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
