import Foundation

/// The ranges of every number and length the server and the node exchange or accept from
/// outside, in one place (`SyncProtocol/sync-v1.md` §12 names the same ones). Numbers are
/// range-checked where they are decoded (``InRange``), so no arithmetic on them can trap.
public enum FieldLimits {
    /// A gate's name, in characters, wherever a scan is recorded (online check-in and nodes).
    public static let gateName = 1...100
    /// A ticket type's price in minor units (cents): at most 100,000,000.00.
    public static let priceMinor: ClosedRange<Int64> = 0...10_000_000_000
    /// Seats of one ticket type.
    public static let capacity = 1...1_000_000
    /// Tickets of one online booking, across its ticket types.
    public static let ticketsPerBooking = 1...20
    /// Tickets of one door sale.
    public static let ticketsPerDoorSale = 1...100
    /// A door sale's total: what `ticketsPerDoorSale` tickets at the highest price come to.
    public static let doorSaleAmountMinor: ClosedRange<Int64> =
        0...(priceMinor.upperBound * Int64(ticketsPerDoorSale.upperBound))
    /// Seats granted to one node for one ticket type (an allotment), and seats released at once.
    public static let allotmentSeats = 0...capacity.upperBound
    /// Seats a node may ask for in one top-up.
    public static let topUpSeats = 1...10_000
    /// A node's mutation ids: positive, strictly increasing per node.
    public static let mutationID: ClosedRange<Int64> = 1...Int64.max
    /// Where reading a node's facts continues: the last mutation id read, 0 before the first.
    public static let factCursor: ClosedRange<Int64> = 0...Int64.max
    /// Facts a node relays for its peers in one request.
    public static let factsPerRelay = 1...500
    /// LAN addresses (base URLs) a node advertises to its venue's other nodes.
    public static let advertisedURLs = 0...8
    /// Characters of one advertised base URL.
    public static let advertisedURLLength = 1...200
    /// A ticket's issue version (1 for the first issue; each re-issue adds one).
    public static let issueVersion: ClosedRange<UInt32> = 1...UInt32.max
    /// A wall clock reading in Unix milliseconds (what an HLC timestamp can carry).
    public static let wallMilliseconds: ClosedRange<Int64> = 0...HLCTimestamp.maximumWallMilliseconds
    /// The mutations a node reports waiting in its outbox.
    public static let outboxDepth = 0...100_000_000
    /// Changes per pull page.
    public static let pullPageSize = 1...5000
    /// Seconds a v2 pull may wait for the venue's feed to change.
    public static let pullWaitSeconds = 0...30
    /// Mutations per push.
    public static let mutationsPerPush = 1...1000
    /// Buyers a waiting room lets in per minute.
    public static let admitPerMinute = 1...100_000
    /// Minutes a waiting room's pass stays valid after its holder is let in.
    public static let passMinutes = 1...240
    /// A waiting room's device id, in characters.
    public static let deviceID = 8...128
    /// Rows per answer of a node's door-sale and scan history (the kiosk's look back).
    public static let historyPage = 1...200
    /// A three-letter ISO 4217 currency code.
    public static let currencyCodeLength = 3

    /// What is wrong with a gate name (already trimmed), if anything: "must be 1 to 100 characters".
    public static func gateNameProblem(_ gate: String) -> String? {
        gateName.contains(gate.count) ? nil : "must be \(gateName.lowerBound) to \(gateName.upperBound) characters"
    }
}

/// A named integer range for ``InRange``.
public protocol FieldBounds {
    associatedtype Value: FixedWidthInteger & Codable & Sendable
    static var range: ClosedRange<Value> { get }
}

/// An integer that decodes only inside `Bounds.range`: a value outside it (or one that is not
/// an integer: 2^63, 1e300) is a decoding error naming the range, never a number that can
/// overflow the arithmetic after it. Values built in code are not checked.
@propertyWrapper
public struct InRange<Bounds: FieldBounds>: Codable, Sendable, Hashable {
    public var wrappedValue: Bounds.Value

    public init(wrappedValue: Bounds.Value) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Bounds.Value.self)
        guard Bounds.range.contains(value) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "must be \(Bounds.range.lowerBound) to \(Bounds.range.upperBound)")
        }
        wrappedValue = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

/// The bounds of ``FieldLimits``, as types for ``InRange``.
public enum Bounds {
    public enum PriceMinor: FieldBounds { public static let range = FieldLimits.priceMinor }
    public enum BookingQuantity: FieldBounds { public static let range = FieldLimits.ticketsPerBooking }
    public enum DoorSaleQuantity: FieldBounds { public static let range = FieldLimits.ticketsPerDoorSale }
    public enum DoorSaleAmountMinor: FieldBounds { public static let range = FieldLimits.doorSaleAmountMinor }
    public enum AllotmentSeats: FieldBounds { public static let range = FieldLimits.allotmentSeats }
    public enum TopUpSeats: FieldBounds { public static let range = FieldLimits.topUpSeats }
    public enum MutationID: FieldBounds { public static let range = FieldLimits.mutationID }
    public enum FactCursor: FieldBounds { public static let range = FieldLimits.factCursor }
    public enum IssueVersion: FieldBounds { public static let range = FieldLimits.issueVersion }
    public enum WallMilliseconds: FieldBounds { public static let range = FieldLimits.wallMilliseconds }
    public enum OutboxDepth: FieldBounds { public static let range = FieldLimits.outboxDepth }
    public enum PullPageSize: FieldBounds { public static let range = FieldLimits.pullPageSize }
    public enum PullWaitSeconds: FieldBounds { public static let range = FieldLimits.pullWaitSeconds }
    public enum Capacity: FieldBounds { public static let range = FieldLimits.capacity }
    public enum AdmitPerMinute: FieldBounds { public static let range = FieldLimits.admitPerMinute }
    public enum PassMinutes: FieldBounds { public static let range = FieldLimits.passMinutes }
}

extension Sequence where Element: FixedWidthInteger {
    /// The sum, or nil when it would overflow (numbers from outside never trap).
    public func checkedSum() -> Element? {
        var total: Element = 0
        for value in self {
            let (sum, overflow) = total.addingReportingOverflow(value)
            if overflow { return nil }
            total = sum
        }
        return total
    }
}
