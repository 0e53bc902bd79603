import Foundation

/// A hybrid logical clock reading: wall-clock milliseconds plus a logical counter
/// that orders events within one millisecond (Kulkarni et al., "Logical Physical
/// Clocks", 2014). Packs into one `UInt64` (48-bit milliseconds, 16-bit counter)
/// whose integer order is the timestamp order.
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let maximumWallMilliseconds: Int64 = (1 << 48) - 1

    public let wallMilliseconds: Int64
    public let counter: UInt16

    public init(wallMilliseconds: Int64, counter: UInt16 = 0) {
        self.wallMilliseconds = min(max(0, wallMilliseconds), Self.maximumWallMilliseconds)
        self.counter = counter
    }

    public init(packed: UInt64) {
        self.init(wallMilliseconds: Int64(packed >> 16), counter: UInt16(truncatingIfNeeded: packed))
    }

    public var packed: UInt64 { UInt64(wallMilliseconds) << 16 | UInt64(counter) }

    /// The wall-clock part as a date.
    public var date: Date { Date(timeIntervalSince1970: TimeInterval(wallMilliseconds) / 1000) }

    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool { lhs.packed < rhs.packed }

    public var description: String { "\(wallMilliseconds).\(counter)" }
}

/// A hybrid logical clock. It never runs backwards, stays within a bounded
/// distance of physical time, and moves past every remote timestamp it accepts.
/// Physical time is passed in, so the clock is deterministic under test.
public struct HybridLogicalClock: Sendable {
    /// The largest amount, in milliseconds, a remote timestamp may lead local physical time.
    public let maximumForwardOffset: Int64
    /// The last timestamp this clock produced.
    public private(set) var last: HLCTimestamp

    public init(maximumForwardOffset: Int64 = 60_000, last: HLCTimestamp = HLCTimestamp(wallMilliseconds: 0)) {
        self.maximumForwardOffset = maximumForwardOffset
        self.last = last
    }

    /// A timestamp for a local event (a scan, a sale), later than every earlier one.
    public mutating func now(physicalMilliseconds: Int64) -> HLCTimestamp {
        last = Self.advance(last, toAtLeast: physicalMilliseconds)
        return last
    }

    /// Merges a timestamp received from a peer (e.g. the server at sync) and returns
    /// a local timestamp later than both. A remote time more than
    /// ``maximumForwardOffset`` ahead of physical time is rejected and changes nothing,
    /// so one bad clock cannot drag every node into the future.
    public mutating func update(
        remote: HLCTimestamp, physicalMilliseconds: Int64
    ) throws(ClockSkewError) -> HLCTimestamp {
        let lead = remote.wallMilliseconds - physicalMilliseconds
        guard lead <= maximumForwardOffset else {
            throw ClockSkewError(remote: remote, physicalMilliseconds: physicalMilliseconds,
                                 maximumForwardOffset: maximumForwardOffset)
        }
        last = Self.advance(max(last, remote), toAtLeast: physicalMilliseconds)
        return last
    }

    /// The smallest timestamp after `previous` that is not behind `physical`.
    private static func advance(_ previous: HLCTimestamp, toAtLeast physical: Int64) -> HLCTimestamp {
        if physical > previous.wallMilliseconds {
            return HLCTimestamp(wallMilliseconds: physical)
        }
        if previous.counter == .max {
            // Counter exhausted within one millisecond: borrow the next millisecond — unless
            // the reading is the largest there is (year 10889), where the clock stays.
            guard previous.wallMilliseconds < HLCTimestamp.maximumWallMilliseconds else { return previous }
            return HLCTimestamp(wallMilliseconds: previous.wallMilliseconds + 1)
        }
        return HLCTimestamp(wallMilliseconds: previous.wallMilliseconds, counter: previous.counter + 1)
    }
}

/// A remote timestamp too far ahead of local physical time.
public struct ClockSkewError: Error, Equatable, Sendable, CustomStringConvertible {
    public let remote: HLCTimestamp
    public let physicalMilliseconds: Int64
    public let maximumForwardOffset: Int64

    public var description: String {
        "remote clock is \(remote.wallMilliseconds - physicalMilliseconds) ms ahead of local time "
            + "(at most \(maximumForwardOffset) ms is accepted)"
    }
}

extension HLCTimestamp: Codable {
    /// Parses the text form `<wall milliseconds>.<counter>` (e.g. `1767225600000.3`).
    public init?(text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
            let wall = Int64(parts[0]), (0...Self.maximumWallMilliseconds).contains(wall),
            let counter = UInt16(parts[1])
        else { return nil }
        self.init(wallMilliseconds: wall, counter: counter)
    }

    /// Encoded as its text form: a JSON number could not carry 64 bits into JavaScript.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let value = HLCTimestamp(text: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a hybrid logical clock reading such as 1767225600000.0")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
