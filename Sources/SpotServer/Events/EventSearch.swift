import Foundation
import Logging
import PostgresNIO

/// Full-text search over published events, with typo tolerance, filters, sorting and
/// pagination; and recommendations for a signed-in user.
///
/// Matching: the weighted search document (title A, description B, venue and city C,
/// English stemming) against `websearch_to_tsquery`, ranked by `ts_rank` (so a title
/// match outranks a description match, which outranks a venue match). When that finds
/// nothing — a typo — each query word is widened to the title words of the
/// `search_words` dictionary that are trigram-similar to it (pg_trgm `%`, similarity at
/// least 0.45), and the search runs again: "jaz festivl" becomes
/// `(festivl | festival) & (jaz | jazz)`, while "opera" does not become "open".
/// The SQL is assembled from fixed fragments for the filters actually given, every
/// value a bound parameter, so each query gets a plan for exactly its filters.
package struct EventSearch: Sendable {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    enum Sort: String, Sendable {
        case relevance, date
    }

    package struct Query: Sendable, Equatable {
        package var text: String?
        package var category: String?
        package var city: String?
        /// Events starting at or after this instant; default: now (upcoming only).
        var from: Date?
        /// Events starting before this instant.
        var to: Date?
        package var free: Bool?
        /// Bounds on the cheapest ticket price, in minor units.
        var minPrice: Int64?
        var maxPrice: Int64?
        var sort: Sort = .relevance
        var page: Int = 1
        var perPage: Int = 20

        package init() {}
    }

    package struct Page: Codable, Sendable {
        let items: [Event]
        package let total: Int
        let page: Int
        let perPage: Int
    }

    /// How the text is turned into a `tsquery`.
    enum Matching: Equatable {
        /// `websearch_to_tsquery` of the user's text.
        case web(String)
        /// `to_tsquery` of a query built from dictionary words (alphanumeric only).
        case corrected(String)
        case none
    }

    package func search(_ query: Query, now: Date, logger: Logger) async throws -> Page {
        guard let text = query.text else { return try await page(query, matching: .none, now: now, logger: logger) }
        let exact = try await page(query, matching: .web(text), now: now, logger: logger)
        guard exact.total == 0, let corrected = try await correctedQuery(text, logger: logger) else { return exact }
        return try await page(query, matching: .corrected(corrected), now: now, logger: logger)
    }

    /// `(word | similar | …) & …` for the words of `text`, or nil when no word has a
    /// similar dictionary word (searching again would find nothing new).
    func correctedQuery(_ text: String, logger: Logger) async throws -> String? {
        let words = Array(Set(
            text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { $0.count >= 2 })).sorted()
        guard !words.isEmpty, words.count <= 8 else { return nil }
        let rows = try await database.query(
            """
            SELECT q.word, coalesce(
                (SELECT array_agg(s.word ORDER BY similarity(s.word, q.word) DESC, s.word)
                 FROM (SELECT word FROM search_words WHERE word % q.word AND similarity(word, q.word) >= 0.45
                       ORDER BY similarity(word, q.word) DESC, word LIMIT 3) AS s), '{}')
            FROM unnest(\(words)::text[]) AS q(word)
            """, logger: logger)
        var groups: [String] = []
        var widened = false
        for try await (word, similar) in rows.decode((String, [String]).self) {
            let alternatives = [word] + similar.filter { $0 != word && $0.allSatisfy { $0.isLetter || $0.isNumber } }
            widened = widened || alternatives.count > 1
            groups.append("(" + alternatives.joined(separator: " | ") + ")")
        }
        return widened ? groups.sorted().joined(separator: " & ") : nil
    }

    private func page(_ query: Query, matching: Matching, now: Date, logger: Logger) async throws -> Page {
        var sql = SQLBuilder()
        let conditions = sql.conditions(query, matching: matching, now: now)
        var order = "e.starts_at, e.id"
        if query.sort == .relevance, let tsquery = sql.tsquery(matching) {
            order = "ts_rank(e.search_vector, \(tsquery)) DESC, " + order
        }
        let statement = """
            SELECT \(EventRepository.columns), count(*) OVER ()::int
            FROM events e JOIN venues v ON v.id = e.venue_id
            WHERE \(conditions)
            ORDER BY \(order)
            LIMIT \(sql.bind(query.perPage)) OFFSET \(sql.bind((query.page - 1) * query.perPage))
            """
        let rows = try await database.query(PostgresQuery(unsafeSQL: statement, binds: sql.binds), logger: logger)
        var items: [Event] = []
        var total = 0
        for try await row in rows {
            items.append(try EventRepository.event(try row.decode(EventRepository.Row.self)))
            total = try PostgresRandomAccessRow(row)[EventRepository.columnCount].decode(Int.self)
        }
        if items.isEmpty, query.page > 1 {
            // Past the last page there is no row to carry the window count: count separately.
            var count = SQLBuilder()
            let countConditions = count.conditions(query, matching: matching, now: now)
            let rows = try await database.query(
                PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM events e WHERE \(countConditions)", binds: count.binds),
                logger: logger)
            for try await value in rows.decode(Int.self) { total = value }
        }
        return Page(items: items, total: total, page: query.page, perPage: query.perPage)
    }

    struct Recommendation: Codable, Sendable {
        let event: Event
        /// Why it is recommended: `organizer`, `category` or `popular`.
        let reason: String
    }

    /// Upcoming published events the user has not booked, scored by the organizers (3)
    /// and categories (2) of their paid bookings, plus popularity (log of tickets sold,
    /// scaled to 0…1 so personal signals come first). With no bookings yet (cold start)
    /// this is the most popular upcoming events, soonest first.
    func recommendations(userID: UUID, limit: Int, now: Date, logger: Logger) async throws -> [Recommendation] {
        let rows = try await database.query(
            """
            WITH mine AS (
                SELECT DISTINCT e.category_id, e.organizer_id
                FROM bookings b JOIN events e ON e.id = b.event_id
                WHERE b.user_id = \(userID) AND b.status = 'paid'
            ), popularity AS (
                SELECT event_id, ln(1 + sum(quantity)) AS weight FROM bookings WHERE status = 'paid' GROUP BY event_id
            ), candidates AS (
                SELECT e.id,
                       e.organizer_id IN (SELECT organizer_id FROM mine) AS same_organizer,
                       e.category_id IN (SELECT category_id FROM mine) AS same_category,
                       coalesce(p.weight / nullif(max(p.weight) OVER (), 0), 0) AS popularity
                FROM events e LEFT JOIN popularity p ON p.event_id = e.id
                WHERE e.status = 'published' AND e.starts_at > \(now)
                  AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.user_id = \(userID) AND b.event_id = e.id)
            )
            SELECT \(unescaped: EventRepository.columns), c.same_organizer, c.same_category
            FROM candidates c JOIN events e ON e.id = c.id JOIN venues v ON v.id = e.venue_id
            ORDER BY (CASE WHEN c.same_organizer THEN 3 ELSE 0 END + CASE WHEN c.same_category THEN 2 ELSE 0 END
                      + c.popularity) DESC,
                     e.starts_at, e.id
            LIMIT \(limit)
            """, logger: logger)
        var recommendations: [Recommendation] = []
        for try await row in rows {
            let event = try EventRepository.event(try row.decode(EventRepository.Row.self))
            let extra = PostgresRandomAccessRow(row)
            let sameOrganizer = try extra[EventRepository.columnCount].decode(Bool.self)
            let sameCategory = try extra[EventRepository.columnCount + 1].decode(Bool.self)
            recommendations.append(.init(
                event: event, reason: sameOrganizer ? "organizer" : sameCategory ? "category" : "popular"))
        }
        return recommendations
    }
}

/// Builds SQL from fixed fragments, every value a bound parameter (`$1`, `$2`, …).
private struct SQLBuilder {
    var binds = PostgresBindings()

    /// A placeholder for `value`.
    mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// The `tsquery` expression of `matching`, if it has one.
    mutating func tsquery(_ matching: EventSearch.Matching) -> String? {
        switch matching {
        case .web(let text): "websearch_to_tsquery('english', \(bind(text)))"
        case .corrected(let query): "to_tsquery('english', \(bind(query)))"
        case .none: nil
        }
    }

    /// The WHERE clause of a search.
    mutating func conditions(_ query: EventSearch.Query, matching: EventSearch.Matching, now: Date) -> String {
        var conditions = ["e.status = 'published'", "e.starts_at >= \(bind(query.from ?? now))"]
        if let tsquery = tsquery(matching) { conditions.append("e.search_vector @@ \(tsquery)") }
        if let category = query.category { conditions.append("e.category_id = \(bind(category))") }
        if let city = query.city { conditions.append("lower(e.city) = lower(\(bind(city)))") }
        if let to = query.to { conditions.append("e.starts_at < \(bind(to))") }
        if let free = query.free { conditions.append(free ? "e.min_price_minor = 0" : "e.min_price_minor > 0") }
        if let minimum = query.minPrice { conditions.append("e.min_price_minor >= \(bind(minimum))") }
        if let maximum = query.maxPrice { conditions.append("e.min_price_minor <= \(bind(maximum))") }
        return conditions.joined(separator: " AND ")
    }
}
