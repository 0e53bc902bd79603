import SpotCore

/// The hybrid logical clock of sync-v2.md §8 as vectors: readings with their 64-bit packing,
/// texts a reader refuses, steps of a clock (local events and merges, the counter running out,
/// the largest reading, a remote reading too far ahead) and the order of readings.
struct HLCVectors: Encodable {
    struct Reading: Encodable {
        let text: String
        let wallMilliseconds: Int64
        let counter: UInt16
        /// The packed value as decimal text (it does not fit a JSON number read as a double).
        let packed: String
        let packedHex: String
    }

    struct Step: Encodable {
        let name: String
        let last: String
        /// `now` (a local event) or `update` (a remote reading arrived).
        let operation: String
        let remote: String?
        let physicalMilliseconds: Int64
        /// The new reading; nil when the clock refuses the remote reading.
        let result: String?
        let refused: Bool
    }

    let maximumForwardOffsetMilliseconds: Int64
    let readings: [Reading]
    let refusedTexts: [String]
    let steps: [Step]
    let ascending: [String]

    static let base: Int64 = 1_767_225_600_000

    static func make() -> HLCVectors {
        let maximum = HLCTimestamp.maximumWallMilliseconds
        let readings = [
            HLCTimestamp(wallMilliseconds: 0), HLCTimestamp(wallMilliseconds: base, counter: 3),
            HLCTimestamp(wallMilliseconds: base, counter: .max), HLCTimestamp(wallMilliseconds: maximum, counter: .max),
        ].map { reading in
            Reading(
                text: reading.description, wallMilliseconds: reading.wallMilliseconds, counter: reading.counter,
                packed: String(reading.packed), packedHex: String(reading.packed, radix: 16))
        }
        let refused = [
            "", "1767225600000", "1767225600000.", ".3", "1.2.3", "-1.0", "+1.0", "1.-1", "1.+1", " 1.0", "1.0 ", "0x10.0",
            "1.65536", "281474976710656.0", "1e3.0", "१.0",
        ]
        let skew = HybridLogicalClock().maximumForwardOffset
        func step(_ name: String, last: HLCTimestamp, remote: HLCTimestamp? = nil, physical: Int64) -> Step {
            var clock = HybridLogicalClock(last: last)
            let result: HLCTimestamp?
            if let remote {
                result = try? clock.update(remote: remote, physicalMilliseconds: physical)
            } else {
                result = clock.now(physicalMilliseconds: physical)
            }
            return Step(
                name: name, last: last.description, operation: remote == nil ? "now" : "update", remote: remote?.description,
                physicalMilliseconds: physical, result: result?.description, refused: result == nil)
        }
        let at = { (wall: Int64, counter: UInt16) in HLCTimestamp(wallMilliseconds: wall, counter: counter) }
        let steps = [
            step("the physical clock moved on: its reading, counter 0", last: at(base, 7), physical: base + 5),
            step("the same millisecond: the counter counts", last: at(base, 7), physical: base),
            step("the physical clock went back: the clock does not", last: at(base, 7), physical: base - 1_000),
            step("the counter ran out: the next millisecond, counter 0", last: at(base, .max), physical: base),
            step("the largest reading: the clock stays", last: at(maximum, .max), physical: maximum),
            step("a remote reading ahead: taken, then counted", last: at(base, 7), remote: at(base + 20, 4), physical: base + 10),
            step("a remote reading behind: the local one counts on", last: at(base, 7), remote: at(base - 20, 9), physical: base - 30),
            step("equal walls: the larger counter, plus one", last: at(base, 7), remote: at(base, 9), physical: base),
            step("the physical clock ahead of both: its reading", last: at(base, 7), remote: at(base + 20, 4), physical: base + 50),
            step("a remote reading more than the limit ahead: refused, the clock unchanged", last: at(base, 7),
                 remote: at(base + skew + 1, 0), physical: base),
            step("exactly the limit ahead: taken", last: at(base, 7), remote: at(base + skew, 0), physical: base),
        ]
        let ascending = [at(base, .max), at(base - 1, 0), at(base, 0), at(base + 1, 0), at(base, 1)].sorted().map(\.description)
        return HLCVectors(
            maximumForwardOffsetMilliseconds: skew, readings: readings, refusedTexts: refused, steps: steps, ascending: ascending)
    }
}
