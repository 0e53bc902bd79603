import Synchronization
import Testing

@testable import SpotServer

@Suite("Batcher: requests that arrive together run as one piece of work")
struct BatcherTests {
    /// What the work saw: the size of every batch and the most batches running at once.
    final class Record: Sendable {
        struct State {
            var sizes: [Int] = []
            var running = 0
            var mostRunning = 0
        }

        let state = Mutex(State())
    }

    struct Refused: Error, Equatable {}

    /// Doubles each item after a short wait, so requests pile up behind the running batches;
    /// refuses a batch holding a negative item.
    static func work(_ record: Record) -> @Sendable ([Int]) async throws -> [Int] {
        { items in
            record.state.withLock {
                $0.sizes.append(items.count)
                $0.running += 1
                $0.mostRunning = max($0.mostRunning, $0.running)
            }
            defer { record.state.withLock { $0.running -= 1 } }
            try await Task.sleep(for: .milliseconds(5))
            if items.contains(where: { $0 < 0 }) { throw Refused() }
            return items.map { $0 * 2 }
        }
    }

    @Test("Every request gets its own output; batches hold at most `capacity` and at most `concurrency` run at once")
    func outputs() async throws {
        let batcher = Batcher<Int, Int>(capacity: 8, concurrency: 2)
        let record = Record()
        let work = Self.work(record)
        let outputs = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for item in 0..<200 {
                group.addTask { (item, try await batcher.submit(item, run: work)) }
            }
            return try await group.reduce(into: [Int: Int]()) { $0[$1.0] = $1.1 }
        }
        #expect(outputs.count == 200)
        #expect(outputs.allSatisfy { $0.value == $0.key * 2 })
        let seen = record.state.withLock { $0 }
        #expect(seen.sizes.reduce(0, +) == 200, "each request ran exactly once")
        #expect(seen.sizes.allSatisfy { (1...8).contains($0) })
        #expect(seen.sizes.count < 200, "requests that waited ran together")
        #expect(seen.mostRunning <= 2)
        #expect(seen.running == 0)
    }

    @Test("A batch's error reaches every request of that batch, and the batches after it still run")
    func errors() async throws {
        let batcher = Batcher<Int, Int>(capacity: 4, concurrency: 1)
        let record = Record()
        let work = Self.work(record)
        let results = await withTaskGroup(of: (Int, Result<Int, Refused>).self) { group in
            for item in [-1] + Array(1...40) {
                group.addTask {
                    do { return (item, .success(try await batcher.submit(item, run: work))) } catch { return (item, .failure(Refused())) }
                }
            }
            return await group.reduce(into: [Int: Result<Int, Refused>]()) { $0[$1.0] = $1.1 }
        }
        #expect(results[-1] == .failure(Refused()))
        let failed = results.filter { if case .failure = $0.value { true } else { false } }.count
        let sizes = record.state.withLock { $0.sizes }
        #expect((1...4).contains(failed), "only the refused item's batch failed")
        #expect(results.filter { $0.key > 0 }.allSatisfy { $0.value == .success($0.key * 2) || $0.value == .failure(Refused()) })
        #expect(results.count == 41)
        #expect(sizes.reduce(0, +) == 41)
        // Alone again afterwards: a request that finds the batcher idle runs at once.
        #expect(try await batcher.submit(21, run: work) == 42)
    }
}
