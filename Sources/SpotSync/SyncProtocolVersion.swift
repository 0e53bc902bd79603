/// The sync protocol version a request states (`SyncProtocol/README.md`).
/// A peer serves the current version N and N−1 and refuses anything else with
/// ``UnsupportedProtocolVersion``, never guessing at a message it does not know.
public struct SyncProtocolVersion: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int

    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The version this build speaks.
    public static let current = SyncProtocolVersion.livePull

    /// v1: polled pulls (`SyncProtocol/sync-v1.md`).
    public static let v1 = SyncProtocolVersion(rawValue: 1)
    /// v2: pulls the server may hold open until the venue changes (`SyncProtocol/sync-v2.md`).
    public static let livePull = SyncProtocolVersion(rawValue: 2)

    /// The versions this build serves: N and N−1 (version 0 never existed).
    public static let supported: [SyncProtocolVersion] = [current.rawValue - 1, current.rawValue]
        .filter { $0 >= 1 }
        .map(SyncProtocolVersion.init(rawValue:))

    /// Accepts a requested version among `served` (by default every version this build
    /// serves; an operator may serve fewer); anything else is a typed error.
    public static func negotiate(
        _ requested: Int, served: [SyncProtocolVersion] = supported
    ) throws(UnsupportedProtocolVersion) -> SyncProtocolVersion {
        let version = SyncProtocolVersion(rawValue: requested)
        guard served.contains(version) else {
            throw UnsupportedProtocolVersion(requested: requested, supported: served.map(\.rawValue))
        }
        return version
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "v\(rawValue)" }
}

/// A request stated a protocol version this build does not serve.
public struct UnsupportedProtocolVersion: Error, Equatable, Sendable, CustomStringConvertible {
    public let requested: Int
    public let supported: [Int]

    public init(requested: Int, supported: [Int]) {
        self.requested = requested
        self.supported = supported
    }

    /// What the operator should do about it.
    public var description: String {
        let list = supported.map { "v\($0)" }.joined(separator: " and ")
        if let newest = supported.max(), requested > newest {
            return "sync protocol v\(requested) is newer than this server (it serves \(list)): upgrade the server"
        }
        return "sync protocol v\(requested) is no longer served (this server serves \(list)): upgrade the node"
    }
}
