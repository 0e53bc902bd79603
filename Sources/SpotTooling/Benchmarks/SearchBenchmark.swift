import Foundation
import Logging
import SpotCore
import SpotServer

/// Measures event search latency — a two-word query with a filter, through the same
/// code path the API uses — beside a primary-key lookup of one event, measured in the
/// same run on the same connection pool.
public struct SearchBenchmark: Sendable {
    public struct Result: Sendable {
        public let search: [Duration]
        public let lookup: [Duration]
        public let events: Int
        /// Average matches (total) per search.
        public let averageMatches: Double
    }

    public let queries: Int
    public let warmup: Int

    public init(queries: Int, warmup: Int = 200) {
        self.queries = queries
        self.warmup = warmup
    }

    /// Two-word queries over the sample vocabulary, each with a filter.
    static let workload: [(text: String, category: String?, city: String?, free: Bool?)] = [
        ("jazz night", nil, "Berlin", nil), ("rock concert", "music", nil, nil), ("summer festival", nil, nil, false),
        ("comedy special", "comedy", nil, nil), ("wine tasting", nil, "Paris", nil), ("techno party", "nightlife", nil, nil),
        ("swift conference", "conference", nil, nil), ("film screening", nil, "London", nil),
        ("piano recital", "music", nil, nil), ("street food", nil, nil, true), ("circus show", "family", nil, nil),
        ("hamlet premiere", nil, "Wien", nil), ("indie showcase", nil, "Madrid", nil), ("marathon race", "sports", nil, nil),
        ("jaz festivl", nil, nil, nil), ("open-air cinema", nil, "Roma", nil),
    ]

    public func run(database: Database, now: Date = Date(), logger: Logger) async throws -> Result {
        let search = EventSearch(database: database)
        let repository = EventRepository(database: database)
        var ids: [UUID] = []
        let rows = try await database.query(
            "SELECT id FROM events WHERE status = 'published' ORDER BY random() LIMIT 1000", logger: logger)
        for try await id in rows.decode(UUID.self) { ids.append(id) }
        let events = try await DemoAccounts.publishedEvents(in: database, logger: logger)
        guard !ids.isEmpty else { throw MaintenanceError("no published events: seed some first") }

        var searchTimes: [Duration] = []
        var lookupTimes: [Duration] = []
        var matches = 0
        let clock = ContinuousClock()
        for index in 0..<(warmup + queries) {
            let item = Self.workload[index % Self.workload.count]
            var query = EventSearch.Query()
            query.text = item.text
            query.category = item.category
            query.city = item.city
            query.free = item.free
            let start = clock.now
            let page = try await search.search(query, now: now, logger: logger)
            let searched = clock.now - start
            let lookupStart = clock.now
            guard try await repository.event(id: ids[index % ids.count], logger: logger) != nil else {
                throw MaintenanceError("an event vanished during the benchmark")
            }
            let looked = clock.now - lookupStart
            if index >= warmup {
                searchTimes.append(searched)
                lookupTimes.append(looked)
                matches += page.total
            }
        }
        return Result(
            search: searchTimes, lookup: lookupTimes, events: events, averageMatches: Double(matches) / Double(queries))
    }
}

extension [Duration] {
    /// The value below which `fraction` of the samples fall (nearest rank).
    public func percentile(_ fraction: Double) -> Duration {
        let sorted = self.sorted()
        guard !sorted.isEmpty else { return .zero }
        let rank = Swift.min(sorted.count - 1, Swift.max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[rank]
    }
}
