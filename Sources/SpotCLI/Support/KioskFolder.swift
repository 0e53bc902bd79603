import Foundation

/// Where the kiosk web app (`Kiosk/`) is: `explicit` if given, else `SPOT_KIOSK_DIR`, else
/// `Kiosk/` in the working directory or in the source tree the binary was built in.
func kioskFolder(explicit: String?) -> String? {
    if let explicit { return explicit }
    // The source tree: a few folders above .build/<configuration>/spot.
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var candidates = [ProcessInfo.processInfo.environment["SPOT_KIOSK_DIR"], FileManager.default.currentDirectoryPath + "/Kiosk"]
    for _ in 0..<4 {
        folder = folder.deletingLastPathComponent()
        candidates.append(folder.appendingPathComponent("Kiosk").path)
    }
    return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0 + "/index.html") }
}
