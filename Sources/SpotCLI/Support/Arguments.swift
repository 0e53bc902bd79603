import ArgumentParser
import Foundation
import SpotCore

extension UUID: @retroactive ExpressibleByArgument {
    public init?(argument: String) {
        self.init(uuidString: argument)
    }
}

/// An ISO 8601 instant given on the command line, e.g. `2026-12-31T23:00:00Z`.
struct Instant: ExpressibleByArgument {
    let date: Date

    init?(argument: String) {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: argument) {
            self.date = date
            return
        }
        formatter.formatOptions.insert(.withFractionalSeconds)
        guard let date = formatter.date(from: argument) else { return nil }
        self.date = date
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

extension ScanDirection: ExpressibleByArgument {}

extension Date {
    /// `2026-12-31T23:00:00Z`.
    var iso8601: String { ISO8601DateFormatter().string(from: self) }
}
