import Synchronization

/// Runs requests that arrive together as one piece of work — one transaction, one read —
/// instead of one each: the database's cost per statement and per commit is paid once for the
/// batch (online check-ins, the re-reads of held pulls woken together).
///
/// At most `concurrency` batches run at once. A request that finds a slot free runs at once,
/// alone or with whatever is waiting; one that does not waits, and when a batch ends, the
/// request that has waited longest leads the next batch with up to `capacity` of those waiting.
/// Each batch runs on the task of the request that leads it (no task of its own); its outcome,
/// or its error, goes to every request of the batch — so were the leader's task cancelled, the
/// whole batch would see it (the server does not cancel a request whose client goes away).
final class Batcher<Item: Sendable, Output: Sendable>: Sendable {
    /// What a waiting request is told: its output, or to lead the next batch.
    private enum Wake {
        case done(Result<Output, any Error>)
        case lead
    }

    private struct Waiting {
        let item: Item
        let continuation: CheckedContinuation<Wake, Never>
    }

    private struct State {
        var running = 0
        var waiting: [Waiting] = []
    }

    let capacity: Int
    let concurrency: Int
    private let state = Mutex(State())

    init(capacity: Int, concurrency: Int) {
        precondition(capacity >= 1 && concurrency >= 1)
        self.capacity = capacity
        self.concurrency = concurrency
    }

    /// `item`'s output, computed by `run` in a batch with others'. `run` returns one output per
    /// item, in order; every request of a batch passes the same work, so whichever leads runs it.
    func submit(_ item: Item, run: @Sendable ([Item]) async throws -> [Output]) async throws -> Output {
        let leadsAtOnce = state.withLock { state in
            guard state.running < concurrency else { return false }
            state.running += 1
            return true
        }
        if leadsAtOnce {
            return try await lead([], then: item, run: run)
        }
        let wake = await withCheckedContinuation { continuation in
            // A slot may have been freed between the check above and here: if so, lead.
            let leads = state.withLock { state in
                if state.running < concurrency {
                    state.running += 1
                    return true
                }
                state.waiting.append(Waiting(item: item, continuation: continuation))
                return false
            }
            if leads { continuation.resume(returning: .lead) }
        }
        switch wake {
        case .done(let result): return try result.get()
        case .lead:
            let others = state.withLock { state in
                let taken = Array(state.waiting.prefix(capacity - 1))
                state.waiting.removeFirst(taken.count)
                return taken
            }
            return try await lead(others, then: item, run: run)
        }
    }

    /// Runs `item` after `others`, answers the others, and hands the slot on to the longest waiting.
    private func lead(_ others: [Waiting], then item: Item, run: ([Item]) async throws -> [Output]) async throws -> Output {
        let result: Result<[Output], any Error>
        do {
            let outputs = try await run(others.map(\.item) + [item])
            precondition(outputs.count == others.count + 1, "a batch's work answers each item")
            result = .success(outputs)
        } catch {
            result = .failure(error)
        }
        let next = state.withLock { state in
            if state.waiting.isEmpty {
                state.running -= 1
                return Waiting?.none
            }
            return state.waiting.removeFirst()
        }
        for (index, waiting) in others.enumerated() {
            waiting.continuation.resume(returning: .done(result.map { $0[index] }))
        }
        next?.continuation.resume(returning: .lead)
        return try result.get().last!
    }
}
