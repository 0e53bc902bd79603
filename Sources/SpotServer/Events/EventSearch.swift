import Foundation
import Logging
import PostgresNIO

/// Full-text search over published events, with typo tolerance, filters, sorting and
/// pagination; and recommendations for a signed-in user.
///
/// Matching: the weighted search document (title A, description B, venue and city C,
/// English stemming) against `websearch_to_tsquery`, or — so a typo still finds the
/// event — trigram similarity of the query to whole words of the title
/// (`<<%`, pg_trgm's strict word similarity, threshold 0.5: "jaz festivl" finds
/// "Summer Jazz Festival", "opera" does not find "Open Air").
/// Ranking: `ts_rank` plus that similarity.
struct EventSearch: Sendable {
    let database: Database

    enum Sort: String, Sendable {
        case relevance, date
    }

    struct Query: Sendable, Equatable {
        var text: String?
        var category: String?
        var city: String?
        /// Events starting at or after this instant; default: now (upcoming only).
        var from: Date?
        /// Events starting before this instant.
        var to: Date?
        var free: Bool?
        /// Bounds on the cheapest ticket price, in minor units.
        var minPrice: Int64?
        var maxPrice: Int64?
        var sort: Sort = .relevance
        var page: Int = 1
        var perPage: Int = 20
    }

    struct Page: Codable, Sendable {
        let items: [Event]
        let total: Int
        let page: Int
        let perPage: Int
    }

    func search(_ query: Query, now: Date, logger: Logger) async throws -> Page {
        let text = query.text.flatMap { $0.isEmpty ? nil : $0 }
        let relevance = query.sort == .relevance && text != nil
        let rows = try await database.query(
            """
            SELECT \(unescaped: EventRepository.columns), count(*) OVER ()::int
            FROM events e JOIN venues v ON v.id = e.venue_id
            CROSS JOIN LATERAL (SELECT websearch_to_tsquery('english', coalesce(\(text), ''))) AS q(tsq)
            WHERE e.status = 'published'
              AND (\(text)::text IS NULL OR e.search_vector @@ q.tsq OR \(text) <<% e.title)
              AND (\(query.category)::text IS NULL OR e.category_id = \(query.category))
              AND (\(query.city)::text IS NULL OR lower(e.city) = lower(\(query.city)))
              AND e.starts_at >= coalesce(\(query.from), \(now))
              AND (\(query.to)::timestamptz IS NULL OR e.starts_at < \(query.to))
              AND (\(query.free)::boolean IS NULL OR (e.min_price_minor = 0) = \(query.free))
              AND (\(query.minPrice)::bigint IS NULL OR e.min_price_minor >= \(query.minPrice))
              AND (\(query.maxPrice)::bigint IS NULL OR e.min_price_minor <= \(query.maxPrice))
            ORDER BY
              CASE WHEN \(relevance) THEN ts_rank(e.search_vector, q.tsq) + strict_word_similarity(\(text), e.title) END DESC NULLS LAST,
              e.starts_at, e.id
            LIMIT \(query.perPage) OFFSET \((query.page - 1) * query.perPage)
            """, logger: logger)
        var items: [Event] = []
        var total = 0
        for try await row in rows {
            items.append(EventRepository.event(try row.decode(EventRepository.Row.self)))
            total = try PostgresRandomAccessRow(row)[19].decode(Int.self)
        }
        if items.isEmpty, query.page > 1 {
            // Past the last page: the window count is not available, so count separately.
            total = try await search(Query(
                text: query.text, category: query.category, city: query.city, from: query.from, to: query.to,
                free: query.free, minPrice: query.minPrice, maxPrice: query.maxPrice, sort: query.sort, page: 1,
                perPage: 1), now: now, logger: logger).total
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
            let event = EventRepository.event(try row.decode(EventRepository.Row.self))
            let extra = PostgresRandomAccessRow(row)
            let sameOrganizer = try extra[19].decode(Bool.self)
            let sameCategory = try extra[20].decode(Bool.self)
            recommendations.append(.init(
                event: event, reason: sameOrganizer ? "organizer" : sameCategory ? "category" : "popular"))
        }
        return recommendations
    }
}
