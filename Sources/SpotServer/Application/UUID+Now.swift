import Foundation
import SpotCore

extension UUID {
    /// A new UUIDv7 for a row created at `date`, so ids sort by creation time.
    package static func now(_ date: Date) -> UUID {
        var generator = SystemRandomNumberGenerator()
        return .version7(unixMilliseconds: Int64(date.timeIntervalSince1970 * 1000), using: &generator)
    }
}
