import Foundation
import SpotTestSupport
import Testing

@Suite("Event search and recommendations")
struct EventSearchTests {
    /// Titles of a search result page.
    static func titles(_ response: APIResponse) -> [String] {
        response.json["items"].array.compactMap { $0["title"].string }
    }

    @Test("Weighted ranking: title over description over venue; typos still find the event")
    func ranking() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (token, venue, _) = try await server.verifiedOrganizer("a@example.com", admin: admin)
            let jazzVenue = try await server.createVenue(token: token, name: "Jazz Cellar", city: "Berlin")
            _ = try await server.publishedEvent(token: token, venue: venue, title: "Summer Jazz Festival", description: "Brass bands")
            _ = try await server.publishedEvent(token: token, venue: venue, title: "Open Air Cinema", description: "Jazz soundtrack classics")
            _ = try await server.publishedEvent(token: token, venue: jazzVenue, title: "Poetry Slam", description: "Words only")
            _ = try await server.publishedEvent(token: token, venue: venue, title: "Techno Night", description: "Bass")

            let jazz = try await server.api.get("/api/v1/events?q=jazz")
            #expect(Self.titles(jazz) == ["Summer Jazz Festival", "Open Air Cinema", "Poetry Slam"])
            #expect(jazz.json["total"].int == 3)

            let typo = try await server.api.get("/api/v1/events?q=jaz%20festivl")
            #expect(Self.titles(typo).first == "Summer Jazz Festival")
            let stemmed = try await server.api.get("/api/v1/events?q=festivals")
            #expect(Self.titles(stemmed) == ["Summer Jazz Festival"])
            let nothing = try await server.api.get("/api/v1/events?q=opera")
            #expect(nothing.json["total"].int == 0)
            #expect(nothing.json["items"].array.isEmpty)
        }
    }

    @Test("Filters: category, city (any case, any script), dates, free and paid, price range")
    func filters() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (token, hamburg, _) = try await server.verifiedOrganizer("a@example.com", admin: admin)
            let munich = try await server.createVenue(token: token, name: "Halle", city: "München")
            _ = try await server.publishedEvent(token: token, venue: hamburg, title: "Rock Concert", category: "music", days: 10, price: 3000)
            _ = try await server.publishedEvent(token: token, venue: munich, title: "Comedy Night", category: "comedy", days: 20, price: 0)
            _ = try await server.publishedEvent(token: token, venue: munich, title: "Jazz Concert", category: "music", days: 40, price: 9000)
            _ = try await server.createEvent(token: token, venue: hamburg, title: "Unpublished Concert")

            #expect(Self.titles(try await server.api.get("/api/v1/events?category=music&sort=date")) == ["Rock Concert", "Jazz Concert"])
            #expect(Set(Self.titles(try await server.api.get("/api/v1/events?city=m%C3%9CNCHEN"))) == ["Comedy Night", "Jazz Concert"])
            #expect(Self.titles(try await server.api.get("/api/v1/events?free=true")) == ["Comedy Night"])
            #expect(Set(Self.titles(try await server.api.get("/api/v1/events?free=false"))) == ["Rock Concert", "Jazz Concert"])
            #expect(Self.titles(try await server.api.get("/api/v1/events?min_price=2000&max_price=5000")) == ["Rock Concert"])
            let to = Date().addingTimeInterval(30 * 86_400).formatted(.iso8601)
            #expect(Self.titles(try await server.api.get("/api/v1/events?sort=date&to=\(to)")) == ["Rock Concert", "Comedy Night"])
            let from = Date().addingTimeInterval(15 * 86_400).formatted(.iso8601)
            #expect(Self.titles(try await server.api.get("/api/v1/events?sort=date&from=\(from)&q=concert")) == ["Jazz Concert"])
            let page = try await server.api.get("/api/v1/events?q=concert&city=Hamburg&category=music")
            #expect(Self.titles(page) == ["Rock Concert"])
            #expect(page.json["items"][0]["price_range"]["min_minor"].int == 3000)
            #expect(page.json["items"][0]["venue"]["city"].string == "Hamburg")
        }
    }

    @Test("Pagination keeps the total; past events and drafts never show")
    func pagination() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (token, venue, _) = try await server.verifiedOrganizer("a@example.com", admin: admin)
            for index in 1...5 {
                _ = try await server.publishedEvent(token: token, venue: venue, title: "Show \(index)", days: Double(index))
            }
            try await server.sql("UPDATE events SET starts_at = now() - interval '1 day', ends_at = now() WHERE title = 'Show 1'")
            let first = try await server.api.get("/api/v1/events?sort=date&per_page=2")
            #expect(first.json["total"].int == 4)
            #expect(Self.titles(first) == ["Show 2", "Show 3"])
            let third = try await server.api.get("/api/v1/events?sort=date&per_page=2&page=2")
            #expect(Self.titles(third) == ["Show 4", "Show 5"])
            let beyond = try await server.api.get("/api/v1/events?sort=date&per_page=2&page=9")
            #expect(beyond.json["items"].array.isEmpty)
            #expect(beyond.json["total"].int == 4)
            #expect(beyond.json["page"].int == 9)
        }
    }

    @Test("Recommendations: cold start is popular-first; then the user's organizers and categories; booked and past excluded")
    func recommendations() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (a, venueA, _) = try await server.verifiedOrganizer("a@example.com", admin: admin)
            let (b, venueB, _) = try await server.verifiedOrganizer("b@example.com", admin: admin)
            let aComedy = try await server.publishedEvent(token: a, venue: venueA, title: "A Comedy", category: "comedy", days: 5)
            let aMusic = try await server.publishedEvent(token: a, venue: venueA, title: "A Music", category: "music", days: 6)
            let bComedy = try await server.publishedEvent(token: b, venue: venueB, title: "B Comedy", category: "comedy", days: 7)
            let bSports = try await server.publishedEvent(token: b, venue: venueB, title: "B Sports", category: "sports", days: 8)
            let (fan, fanID, _) = try await server.register("fan@example.com")
            let (crowd, crowdID, _) = try await server.register("crowd@example.com")
            _ = crowd

            // Cold start: B Sports is the most popular; the rest follow by date.
            try await server.sql(
                "INSERT INTO bookings (id, user_id, event_id, status, quantity) VALUES (gen_random_uuid(), '\(crowdID)', '\(bSports)', 'paid', 40)")
            let cold = try await server.api.get("/api/v1/events/recommended", token: fan)
            #expect(cold.json["items"].array.compactMap { $0["event"]["title"].string } == ["B Sports", "A Comedy", "A Music", "B Comedy"])
            #expect(cold.json["items"][0]["reason"].string == "popular")

            // The fan books A Comedy: A's other event (same organizer) then comedies rank first; the booked one disappears.
            try await server.sql(
                "INSERT INTO bookings (id, user_id, event_id, status, quantity) VALUES (gen_random_uuid(), '\(fanID)', '\(aComedy)', 'paid', 1)")
            let warm = try await server.api.get("/api/v1/events/recommended", token: fan)
            let titles = warm.json["items"].array.compactMap { $0["event"]["title"].string }
            #expect(titles == ["A Music", "B Comedy", "B Sports"])
            #expect(warm.json["items"].array.map { $0["reason"].string } == ["organizer", "category", "popular"])
            #expect(!titles.contains("A Comedy"))
            _ = (aMusic, bComedy)
            #expect(try await server.api.get("/api/v1/events/recommended").status == 401)
        }
    }
}
