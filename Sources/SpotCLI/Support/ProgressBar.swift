import Foundation

/// A one-line progress bar on standard error, redrawn in place on a terminal and
/// printed every 10% otherwise (so CI logs stay short).
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let lock = NSLock()
    private let interactive = isatty(STDERR_FILENO) == 1
    private var lastDecile = -1
    private let start = Date()

    init(label: String) { self.label = label }

    func update(_ done: Int, of total: Int) {
        lock.withLock {
            let fraction = total == 0 ? 1 : Double(done) / Double(total)
            let width = 30
            let filled = Int(fraction * Double(width))
            let rate = Double(done) / max(Date().timeIntervalSince(start), 0.001)
            let line = "[\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] "
                + "\(done)/\(total) \(label) (\(Int(rate))/s)"
            if interactive {
                FileHandle.standardError.write(Data("\r\(line)".utf8))
            } else if Int(fraction * 10) > lastDecile {
                lastDecile = Int(fraction * 10)
                FileHandle.standardError.write(Data("\(line)\n".utf8))
            }
        }
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
