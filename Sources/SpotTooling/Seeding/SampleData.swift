import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotServer

/// Realistic sample data for demos and benchmarks: verified organizers with venues
/// in real cities, and published upcoming events with plausible titles, descriptions
/// and one to three ticket types each. Deterministic for a given seed.
public struct SampleData: Sendable {
    public struct Summary: Sendable, Equatable {
        public let organizers: Int
        public let venues: Int
        public let events: Int
        public let ticketTypes: Int
    }

    public let events: Int
    public let seed: UInt64
    /// Events per insert statement.
    let batchSize = 1000

    public init(events: Int, seed: UInt64 = 1) {
        self.events = events
        self.seed = seed
    }

    var organizerCount: Int { max(3, min(500, events / 200)) }

    /// Inserts everything; `progress(done, total)` is called after each batch of events.
    public func insert(
        into database: Database, now: Date, logger: Logger, progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> Summary {
        var generator = SeededGenerator(seed: seed ^ UInt64(bitPattern: Int64(now.timeIntervalSince1970)))
        let run = String(UInt32(truncatingIfNeeded: generator.next()), radix: 36)

        // Organizers (verified, no usable password) and three venues each.
        var users: [UUID] = [], organizers: [UUID] = [], names: [String] = [], emails: [String] = []
        var venueIDs: [UUID] = [], venueOrganizers: [UUID] = [], venueNames: [String] = [], cities: [String] = []
        var addresses: [String] = [], zones: [String] = []
        for index in 0..<organizerCount {
            users.append(UUID.now(now))
            organizers.append(UUID.now(now))
            names.append(
                Self.organizerNames[index % Self.organizerNames.count]
                    + (index >= Self.organizerNames.count ? " \(index / Self.organizerNames.count + 1)" : ""))
            emails.append("organizer-\(run)-\(index)@sample.hvflvspot.test")
            for _ in 0..<3 {
                let (city, zone) = Self.cities.randomElement(using: &generator)!
                venueIDs.append(UUID.now(now))
                venueOrganizers.append(organizers[index])
                venueNames.append("\(Self.venueWords.randomElement(using: &generator)!) \(city)")
                cities.append(city)
                addresses.append("\(Int.random(in: 1...200, using: &generator)) Main Street")
                zones.append(zone)
            }
        }
        try await database.withTransaction(logger: logger) {
            [users, organizers, names, emails, venueIDs, venueOrganizers, venueNames, cities, addresses, zones] connection in
            try await connection.query(
                """
                INSERT INTO users (id, email, email_normalized, password_hash, display_name, role, created_at, updated_at)
                SELECT id, email, email, '!', name, 'organizer', \(now), \(now)
                FROM unnest(\(users)::uuid[], \(emails)::text[], \(names)::text[]) AS batch(id, email, name)
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO organizers (id, user_id, name, description, verified_at, created_at, updated_at)
                SELECT id, user_id, name, 'Sample organizer', \(now), \(now), \(now)
                FROM unnest(\(organizers)::uuid[], \(users)::uuid[], \(names)::text[]) AS batch(id, user_id, name)
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO venues (id, organizer_id, name, city, address, time_zone, created_at, updated_at)
                SELECT id, organizer, name, city, address, zone, \(now), \(now)
                FROM unnest(\(venueIDs)::uuid[], \(venueOrganizers)::uuid[], \(venueNames)::text[], \(cities)::text[],
                            \(addresses)::text[], \(zones)::text[]) AS batch(id, organizer, name, city, address, zone)
                """, logger: logger)
        }
        let venues = Array(zip(venueIDs, venueOrganizers))

        var ticketTypeCount = 0
        var done = 0
        while done < events {
            let count = min(batchSize, events - done)
            var ids: [UUID] = [], eventOrganizers: [UUID] = [], eventVenues: [UUID] = [], categories: [String] = []
            var titles: [String] = [], descriptions: [String] = [], starts: [Date] = [], ends: [Date] = []
            var typeIDs: [UUID] = [], typeEvents: [UUID] = [], typeNames: [String] = [], prices: [Int64] = []
            var capacities: [Int64] = []
            for _ in 0..<count {
                let id = UUID.now(now)
                let venue = venues.randomElement(using: &generator)!
                let (category, title, description) = Self.title(using: &generator)
                let start = now.addingTimeInterval(
                    Double(Int.random(in: 1...365, using: &generator)) * 86_400 + Double(Int.random(in: 10...22, using: &generator)) * 3600)
                ids.append(id)
                eventOrganizers.append(venue.1)
                eventVenues.append(venue.0)
                categories.append(category)
                titles.append(title)
                descriptions.append(description)
                starts.append(start)
                ends.append(start.addingTimeInterval(Double(Int.random(in: 2...6, using: &generator)) * 3600))
                let free = Int.random(in: 0..<10, using: &generator) == 0
                let basePrice = free ? 0 : Int64(Int.random(in: 5...120, using: &generator)) * 100
                for (index, name) in ["Standard", "Reduced", "VIP"].prefix(Int.random(in: 1...3, using: &generator)).enumerated() {
                    typeIDs.append(UUID.now(now))
                    typeEvents.append(id)
                    typeNames.append(name)
                    prices.append(index == 0 ? basePrice : index == 1 ? basePrice / 2 : basePrice * 3)
                    capacities.append(Int64(Int.random(in: 50...5000, using: &generator)))
                }
            }
            try await database.withTransaction(logger: logger) {
                [ids, eventOrganizers, eventVenues, categories, titles, descriptions, starts, ends, typeIDs, typeEvents,
                 typeNames, prices, capacities] connection in
                try await connection.query(
                    """
                    INSERT INTO events (id, organizer_id, venue_id, category_id, title, description, starts_at, ends_at,
                                        status, published_at, created_at, updated_at)
                    SELECT id, organizer, venue, category, title, description, starts, ends, 'published', \(now), \(now), \(now)
                    FROM unnest(\(ids)::uuid[], \(eventOrganizers)::uuid[], \(eventVenues)::uuid[], \(categories)::text[],
                                \(titles)::text[], \(descriptions)::text[], \(starts)::timestamptz[], \(ends)::timestamptz[])
                         AS batch(id, organizer, venue, category, title, description, starts, ends)
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO ticket_types (id, event_id, name, price_minor, currency, capacity, created_at, updated_at)
                    SELECT id, event, name, price, 'EUR', capacity, \(now), \(now)
                    FROM unnest(\(typeIDs)::uuid[], \(typeEvents)::uuid[], \(typeNames)::text[], \(prices)::bigint[],
                                \(capacities)::bigint[]) AS batch(id, event, name, price, capacity)
                    """, logger: logger)
            }
            ticketTypeCount += typeIDs.count
            done += count
            progress(done, events)
        }
        try await database.query("ANALYZE events", logger: logger)
        try await database.query("ANALYZE ticket_types", logger: logger)
        return Summary(organizers: organizerCount, venues: venueIDs.count, events: events, ticketTypes: ticketTypeCount)
    }

    // MARK: Vocabulary

    static func title(using generator: inout SeededGenerator) -> (String, String, String) {
        let (category, subjects, formats) = themes.randomElement(using: &generator)!
        let subject = subjects.randomElement(using: &generator)!
        let format = formats.randomElement(using: &generator)!
        let flourish = flourishes.randomElement(using: &generator)!
        let title = flourish.isEmpty ? "\(subject) \(format)" : "\(flourish) \(subject) \(format)"
        let description =
            "\(openers.randomElement(using: &generator)!) \(subject.lowercased()) \(format.lowercased()) "
            + closers.randomElement(using: &generator)!
        return (category, title, description)
    }

    static let themes: [(String, [String], [String])] = [
        ("music", ["Jazz", "Rock", "Indie", "Techno", "Classical", "Blues", "Soul", "Hip-Hop", "Folk", "Piano", "Opera", "Punk"],
         ["Night", "Concert", "Session", "Live", "Showcase", "Evening", "Recital"]),
        ("festival", ["Summer", "Harbour", "Electronic", "Lantern", "Street Food", "Film", "Folk", "Winter"],
         ["Festival", "Weekender", "Fest", "Carnival"]),
        ("theatre", ["Hamlet", "Macbeth", "A Midsummer Night's Dream", "The Seagull", "Improv", "Musical", "Ballet"],
         ["Premiere", "Matinee", "Performance", "Gala"]),
        ("comedy", ["Stand-up", "Sketch", "Improv", "Late-night"], ["Comedy Night", "Showcase", "Open Mic", "Special"]),
        ("sports", ["Marathon", "Basketball", "Football", "Boxing", "Cycling", "Tennis"],
         ["Final", "Derby", "Championship", "Cup", "Race"]),
        ("conference", ["Swift", "Cloud", "Data", "Design", "Security", "Startup"], ["Conference", "Summit", "Meetup", "Workshop"]),
        ("family", ["Puppet", "Circus", "Science", "Magic", "Storytelling"], ["Show", "Afternoon", "Adventure", "Workshop"]),
        ("arts", ["Photography", "Sculpture", "Modern Art", "Print", "Ceramics"], ["Exhibition", "Opening", "Vernissage", "Fair"]),
        ("food", ["Wine", "Craft Beer", "Cheese", "Coffee", "Street Food"], ["Tasting", "Market", "Festival", "Dinner"]),
        ("nightlife", ["Disco", "House", "Drum & Bass", "Salsa", "Swing"], ["Party", "Club Night", "Rave", "Ball"]),
        ("film", ["Noir", "Documentary", "Silent Film", "Sci-Fi", "Animation"], ["Screening", "Marathon", "Premiere", "Festival"]),
    ]

    static let flourishes = ["", "", "", "Grand", "Midnight", "Open-Air", "Acoustic", "Rooftop", "Spring", "Autumn", "City"]
    static let openers = [
        "An unforgettable", "Join us for a", "The season's finest", "A relaxed", "Our annual", "A sold-out-every-year",
    ]
    static let closers = [
        "with local and international guests.", "in an intimate setting.", "for all ages.",
        "with food and drinks on site.", "under the stars.", "that locals love.",
    ]
    static let venueWords = ["Hall", "Arena", "Theatre", "Club", "Garden", "Warehouse", "Stage", "Pavilion"]
    static let organizerNames = [
        "Northern Lights Live", "Harbour Events", "Blue Note Collective", "City Stages", "Open Air Co.",
        "Velvet Room Productions", "Riverside Arts", "Kite & Key", "Lantern Promotions", "Summit Conferences",
    ]
    static let cities: [(String, String)] = [
        ("Berlin", "Europe/Berlin"), ("Hamburg", "Europe/Berlin"), ("München", "Europe/Berlin"), ("Köln", "Europe/Berlin"),
        ("Paris", "Europe/Paris"), ("Lyon", "Europe/Paris"), ("Marseille", "Europe/Paris"), ("Madrid", "Europe/Madrid"),
        ("Barcelona", "Europe/Madrid"), ("Lisboa", "Europe/Lisbon"), ("Porto", "Europe/Lisbon"), ("Roma", "Europe/Rome"),
        ("Milano", "Europe/Rome"), ("Wien", "Europe/Vienna"), ("Zürich", "Europe/Zurich"), ("Amsterdam", "Europe/Amsterdam"),
        ("Rotterdam", "Europe/Amsterdam"), ("Bruxelles", "Europe/Brussels"), ("København", "Europe/Copenhagen"),
        ("Stockholm", "Europe/Stockholm"), ("Oslo", "Europe/Oslo"), ("Helsinki", "Europe/Helsinki"), ("Praha", "Europe/Prague"),
        ("Warszawa", "Europe/Warsaw"), ("Budapest", "Europe/Budapest"), ("Dublin", "Europe/Dublin"), ("London", "Europe/London"),
        ("Manchester", "Europe/London"), ("Edinburgh", "Europe/London"), ("Athína", "Europe/Athens"),
    ]
}
