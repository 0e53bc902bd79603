import Foundation
import SpotVectors
import Testing

@testable import SpotCore

@Suite("Hybrid logical clock")
struct HybridLogicalClockTests {
    @Test("now() never goes backwards, even when physical time jumps back")
    func backwardJump() {
        var clock = HybridLogicalClock()
        let first = clock.now(physicalMilliseconds: 10_000)
        let second = clock.now(physicalMilliseconds: 4_000)  // NTP stepped the clock back 6 s
        let third = clock.now(physicalMilliseconds: 4_001)
        #expect(first < second && second < third)
        #expect(second == HLCTimestamp(wallMilliseconds: 10_000, counter: 1))
        #expect(third == HLCTimestamp(wallMilliseconds: 10_000, counter: 2))
        // Once physical time passes the logical time again, the counter resets.
        #expect(clock.now(physicalMilliseconds: 10_001) == HLCTimestamp(wallMilliseconds: 10_001))
    }

    @Test("update(remote:) moves past an accepted remote time")
    func update() throws {
        var clock = HybridLogicalClock(maximumForwardOffset: 5_000)
        _ = clock.now(physicalMilliseconds: 1_000)
        let remote = HLCTimestamp(wallMilliseconds: 4_000, counter: 7)
        let merged = try clock.update(remote: remote, physicalMilliseconds: 1_500)
        #expect(merged == HLCTimestamp(wallMilliseconds: 4_000, counter: 8))
        #expect(clock.now(physicalMilliseconds: 1_600) > merged)
        // A remote time behind us changes only the counter.
        let behind = try clock.update(remote: HLCTimestamp(wallMilliseconds: 10), physicalMilliseconds: 1_700)
        #expect(behind == HLCTimestamp(wallMilliseconds: 4_000, counter: 10))
    }

    @Test("A remote time beyond the maximum offset is rejected and changes nothing")
    func rejectsFarFuture() {
        var clock = HybridLogicalClock(maximumForwardOffset: 5_000)
        let before = clock.now(physicalMilliseconds: 1_000)
        let far = HLCTimestamp(wallMilliseconds: 6_001)
        #expect(throws: ClockSkewError(remote: far, physicalMilliseconds: 1_000, maximumForwardOffset: 5_000)) {
            try clock.update(remote: far, physicalMilliseconds: 1_000)
        }
        #expect(clock.last == before)
        // Exactly at the bound is accepted.
        #expect((try? clock.update(remote: HLCTimestamp(wallMilliseconds: 6_000), physicalMilliseconds: 1_000)) != nil)
    }

    @Test("A full counter borrows the next millisecond instead of wrapping")
    func counterOverflow() {
        var clock = HybridLogicalClock(last: HLCTimestamp(wallMilliseconds: 500, counter: .max))
        let next = clock.now(physicalMilliseconds: 100)
        #expect(next == HLCTimestamp(wallMilliseconds: 501, counter: 0))
        #expect(next > HLCTimestamp(wallMilliseconds: 500, counter: .max))
    }

    @Test("Packed form orders like the timestamps")
    func packing() {
        let stamps = [
            HLCTimestamp(wallMilliseconds: 0), HLCTimestamp(wallMilliseconds: 0, counter: 1),
            HLCTimestamp(wallMilliseconds: 1), HLCTimestamp(wallMilliseconds: 1_796_500_000_000, counter: 65_535),
        ]
        for (a, b) in zip(stamps, stamps.dropFirst()) {
            #expect(a < b && a.packed < b.packed)
        }
        for stamp in stamps { #expect(HLCTimestamp(packed: stamp.packed) == stamp) }
    }

    /// Simulates message exchange between nodes whose physical clocks are off by `skews`
    /// milliseconds and jitter ±50 ms (so they also jump backwards); returns the clocks,
    /// the true time at the end and how many receptions were rejected.
    static func simulate(
        skews: [Int64], bound: Int64, messages: Int, seed: UInt64
    ) -> (clocks: [HybridLogicalClock], trueTime: Int64, rejectedFrom: [Int]) {
        var generator = SeededGenerator(seed: seed)
        var clocks = skews.map { _ in HybridLogicalClock(maximumForwardOffset: bound) }
        var trueTime: Int64 = 1_796_500_000_000
        var rejectedFrom: [Int] = []
        for _ in 0..<messages {
            trueTime += Int64.random(in: 0...20, using: &generator)
            let sender = Int.random(in: 0..<skews.count, using: &generator)
            let receiver = (sender + Int.random(in: 1..<skews.count, using: &generator)) % skews.count
            func physical(_ node: Int) -> Int64 { trueTime + skews[node] + Int64.random(in: -50...50, using: &generator) }
            let sent = clocks[sender].now(physicalMilliseconds: physical(sender))
            let before = clocks[receiver].last
            do {
                let received = try clocks[receiver].update(remote: sent, physicalMilliseconds: physical(receiver))
                #expect(received > sent && received > before, "a received event orders after its send")
            } catch {
                #expect(clocks[receiver].last == before, "a rejected time changes nothing")
                rejectedFrom.append(sender)
            }
        }
        return (clocks, trueTime, rejectedFrom)
    }

    @Test("Nodes with skewed, jittering clocks within the bound keep causality and bounded drift")
    func skewedNodes() {
        let (clocks, trueTime, rejected) = Self.simulate(skews: [-2_000, 0, 2_500], bound: 5_000, messages: 5_000, seed: 99)
        #expect(rejected.isEmpty)
        // No clock runs away: logical time stays within the largest skew (+ jitter) of true time.
        for clock in clocks {
            #expect(clock.last.wallMilliseconds - trueTime <= 2_500 + 50 + 1)
        }
    }

    @Test("A node whose clock is far ahead is refused by the others and cannot drag them forward")
    func rogueNode() {
        let rogueSkew: Int64 = 600_000  // ten minutes fast
        let (clocks, trueTime, rejected) = Self.simulate(skews: [0, 1_000, rogueSkew], bound: 5_000, messages: 3_000, seed: 7)
        #expect(!rejected.isEmpty)
        #expect(rejected.allSatisfy { $0 == 2 }, "only the rogue node's times are refused")
        for clock in clocks.prefix(2) {
            #expect(clock.last.wallMilliseconds - trueTime <= 1_000 + 50 + 1)
        }
    }
}
