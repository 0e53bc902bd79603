import Crypto
import Foundation
import Logging
import NIOHTTP1
import SpotCore
import SpotServer
import SpotSync
import SpotTestSupport
import Testing

/// Hostile numbers and text against the real `spot server` and `spot node` processes: every
/// integer field of every route — the API's (taken from `/openapi.json`), the web forms and the
/// sync messages — gets Int64.min, Int64.max, 2^63, 1e300, −1 and 0; every text field a NUL
/// character and bytes that are not UTF-8. After each request the process must still run, and
/// the answer must be a 4xx (a 2xx only for a value inside the field's documented range).
@Suite("Hostile input never stops a server or a node", .serialized)
struct HostileInputTests {
    static let hostileIntegers = ["-9223372036854775808", "9223372036854775807", "9223372036854775808", "1e300", "-1", "0"]
    static let placeholder = "__HOSTILE_VALUE__"

    // MARK: The scene

    /// A server process on its own database with everything the routes act on.
    struct Scene {
        let server: ServerProcess
        let admin: String, organizer: String, buyer: String, spare: String
        let spareUserID: String, buyerRefresh: String
        let venue: String, event: String, typeA: String, typeB: String, draftEvent: String, draftType: String
        let paidBooking: String, paidTicket: String, paidPayload: String, heldBooking: String
        let node: String, nodeToken: String, deviceKey: SigningKey, conflict: String

        var api: APIClient { server.api }
    }

    static func scene(_ server: ServerProcess, database: DatabaseConfiguration) async throws -> Scene {
        let api = server.api
        let venue = try await VenueNodeTests.venue(api, database: database, tickets: 2)
        func token(_ response: APIResponse) throws -> String { try #require(response.json["access_token"].string, "\(response.text)") }
        let admin = try token(try await api.post("/api/v1/auth/login", ["email": "admin@example.com", "password": "admin password 1"]))
        let buyerLogin = try await api.post("/api/v1/auth/login", ["email": "buyer@example.com", "password": "correct horse battery"])
        let spare = try await api.post(
            "/api/v1/auth/register", ["email": "spare@example.com", "password": "correct horse battery", "display_name": "S"])
        let typeB = try #require(try await api.post(
            "/api/v1/events/\(venue.event)/ticket-types", ["name": "Reduced", "price_minor": 1500, "currency": "EUR", "capacity": 100],
            token: venue.organizer).json["id"].string)
        let start = Date().addingTimeInterval(7 * 86_400)
        let draft = try #require(try await api.post(
            "/api/v1/events",
            ["venue_id": venue.venue, "category": "music", "title": "Draft", "description": "d",
             "starts_at": start.formatted(.iso8601), "ends_at": start.addingTimeInterval(3600).formatted(.iso8601)],
            token: venue.organizer).json["id"].string)
        let draftType = try #require(try await api.post(
            "/api/v1/events/\(draft)/ticket-types", ["name": "Early", "price_minor": 900, "currency": "EUR", "capacity": 10],
            token: venue.organizer).json["id"].string)
        let held = try #require(try await api.post(
            "/api/v1/bookings", ["event_id": venue.event, "items": [["ticket_type_id": venue.ticketType, "quantity": 1] as [String: any Sendable]]],
            token: try token(buyerLogin)).json["id"].string)
        // A node enrolled through the sync API with a device key of the test's, and a conflict it raised.
        let deviceKey = SigningKey()
        let code = try #require(try await api.post(
            "/api/v1/venues/\(venue.venue)/enrollment-codes", ["name": "Probe"], token: venue.organizer).json["code"].string)
        let enrolled = try await api.send(.POST, "/api/v1/sync/enroll", body: try SyncJSON.encoder.encode(EnrollRequest(
            code: code, devicePublicKey: Data(deviceKey.publicKey.rawRepresentation).base64EncodedString(), name: "Probe")))
        let enrollment = try SyncJSON.decoder.decode(EnrollResponse.self, from: enrolled.body)
        let nodeToken = enrollment.credential.token
        let grant = try await api.send(
            .PUT, "/api/v1/nodes/\(enrollment.node.id.lowercasedText)/allotments/\(venue.ticketType)", json: ["granted": 10],
            token: venue.organizer)
        #expect(grant.status == 200, "\(grant.text)")
        let ticket = try #require(UUID(uuidString: venue.tickets[1].id))
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let scans = (0..<2).map { index in
            SyncMutation(mutationID: Int64(index + 1), body: .scan(SyncScan(
                id: UUID(), ticketID: ticket, issueVersion: 1, eventID: UUID(uuidString: venue.event)!, direction: .entry,
                gate: "G\(index)", nodeID: enrollment.node.id, hlc: HLCTimestamp(wallMilliseconds: now + Int64(index)), verdict: .ok)))
        }
        let pushed = try await api.send(
            .POST, "/api/v1/sync/push", body: try SyncJSON.encoder.encode(PushRequest(
                nodeID: enrollment.node.id, clock: SyncClockReading(hlc: HLCTimestamp(wallMilliseconds: now), wallMilliseconds: now),
                mutations: scans)), token: nodeToken)
        #expect(pushed.status == 200, "\(pushed.text)")
        let conflicts = try await api.get("/api/v1/events/\(venue.event)/conflicts", token: venue.organizer).json["items"].array
        return Scene(
            server: server, admin: admin, organizer: venue.organizer, buyer: try token(buyerLogin), spare: try token(spare),
            spareUserID: try #require(spare.json["user"]["id"].string), buyerRefresh: try #require(buyerLogin.json["refresh_token"].string),
            venue: venue.venue, event: venue.event, typeA: venue.ticketType, typeB: typeB, draftEvent: draft, draftType: draftType,
            paidBooking: venue.tickets[0].booking, paidTicket: venue.tickets[0].id, paidPayload: venue.tickets[0].payload,
            heldBooking: held, node: enrollment.node.id.lowercasedText, nodeToken: nodeToken, deviceKey: deviceKey,
            conflict: try #require(conflicts.first?["id"].string))
    }

    /// Runs `body` against a fresh server (its auth limit raised: the sweep signs in often).
    static func withScene(_ body: @Sendable (Scene, DatabaseConfiguration) async throws -> Void) async throws {
        try await TestDatabase.shared.withDatabase { database in
            let server = try await ServerProcess.start([
                "--database-url", ServerProcessTests.url(database), "--password-cost", "4", "--auth-attempts-per-minute", "100000",
            ])
            let scene = try await scene(server, database: database)
            try await body(scene, database)
            #expect(try await server.stop() == 0, "the server survived the sweep and stops cleanly")
        }
    }

    // MARK: Requests with one value replaced

    /// A request to mutate: its body (plain JSON values), its query, its headers.
    struct Baseline: @unchecked Sendable {
        let method: HTTPMethod
        /// The OpenAPI path (`/api/v1/events/{id}`) it exercises, or the route for others.
        let route: String
        let path: String
        var query: [(String, String)] = []
        var body: Any?
        var token: String?
        var headers: [(String, String)] = []
    }

    /// A path into a JSON value: object keys and array indices.
    enum Step: Hashable { case key(String), index(Int) }

    /// Where a value sits, in the OpenAPI's notation (`items[].quantity`).
    static func schemaPath(_ steps: [Step]) -> String {
        steps.reduce("") { path, step in
            switch step {
            case .key(let key): path.isEmpty ? key : path + "." + key
            case .index: path + "[]"
            }
        }
    }

    /// Every leaf of `value` whose value satisfies `matches`, with its path.
    static func leaves(_ value: Any, _ matches: (Any) -> Bool, at path: [Step] = []) -> [[Step]] {
        switch value {
        case let object as [String: Any]:
            object.keys.sorted().flatMap { leaves(object[$0]!, matches, at: path + [.key($0)]) }
        case let array as [Any]:
            array.indices.flatMap { leaves(array[$0], matches, at: path + [.index($0)]) }
        default:
            matches(value) ? [path] : []
        }
    }

    /// An integer of a baseline written in Swift (where a `Bool` is never an `Int`).
    static func isInteger(_ value: Any) -> Bool { value is Int }

    /// A number of a baseline read back with JSONSerialization (sync messages hold no booleans).
    static func isNumber(_ value: Any) -> Bool { value is NSNumber && !(value is String) }

    static func replacing(_ value: Any, at path: [Step], with replacement: Any) -> Any {
        guard let first = path.first else { return replacement }
        switch (first, value) {
        case (.key(let key), var object as [String: Any]):
            object[key] = replacing(object[key] as Any, at: Array(path.dropFirst()), with: replacement)
            return object
        case (.index(let index), var array as [Any]):
            array[index] = replacing(array[index], at: Array(path.dropFirst()), with: replacement)
            return array
        default:
            return value
        }
    }

    /// The body as JSON bytes, with the placeholder string replaced by `raw` (a number literal, or string bytes).
    static func bytes(_ body: Any, replacingPlaceholderWith raw: [UInt8]) throws -> Data {
        let text = Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
        let needle = Array("\"\(placeholder)\"".utf8)
        guard let start = text.indices.first(where: { text[$0...].starts(with: needle) }) else { return Data(text) }
        return Data(text[..<start] + raw + text[(start + needle.count)...])
    }

    static func send(_ client: APIClient, _ baseline: Baseline, body: Data?, query: [(String, String)]) async throws -> APIResponse {
        let queryString = query.isEmpty ? "" : "?" + query.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        return try await client.send(
            baseline.method, baseline.path + queryString, body: body, token: baseline.token, headers: baseline.headers)
    }

    /// Whether `literal` (an integer literal, or 1e300) lies in `range`.
    static func literal(_ literal: String, isIn range: ClosedRange<Decimal>?) -> Bool {
        guard let range, !literal.contains("e"), let value = Decimal(string: literal) else { return false }
        return range.contains(value)
    }

    static func expectAlive(_ process: ServerProcess, after what: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try #require(process.isRunning, "the process died after \(what):\n\(process.log.suffix(3000))", sourceLocation: sourceLocation)
    }

    // MARK: The API, from /openapi.json

    /// Every operation of the API that takes a body or integer query parameters, with a request that works.
    static func apiBaselines(_ scene: Scene) -> [Baseline] {
        let start = Date().addingTimeInterval(9 * 86_400)
        let organizer = scene.organizer, buyer = scene.buyer
        return [
            Baseline(method: .POST, route: "/api/v1/auth/register", path: "/api/v1/auth/register",
                     body: ["email": "new@example.com", "password": "correct horse battery", "display_name": "N", "role": "attendee",
                            "organizer_name": "N"]),
            Baseline(method: .POST, route: "/api/v1/auth/login", path: "/api/v1/auth/login",
                     body: ["email": "buyer@example.com", "password": "correct horse battery"]),
            Baseline(method: .POST, route: "/api/v1/auth/refresh", path: "/api/v1/auth/refresh", body: ["refresh_token": scene.buyerRefresh]),
            Baseline(method: .POST, route: "/api/v1/auth/system-tokens", path: "/api/v1/auth/system-tokens", body: ["name": "ci"],
                     token: organizer),
            Baseline(method: .POST, route: "/api/v1/organizers", path: "/api/v1/organizers",
                     body: ["name": "S", "description": "d", "contact_email": "s@example.com", "website": "https://example.com"],
                     token: scene.spare),
            Baseline(method: .PATCH, route: "/api/v1/organizers/me", path: "/api/v1/organizers/me",
                     body: ["name": "Org", "description": "d", "contact_email": "o@example.com", "website": "https://example.com"],
                     token: organizer),
            Baseline(method: .PUT, route: "/api/v1/admin/users/{id}/role", path: "/api/v1/admin/users/\(scene.spareUserID)/role",
                     body: ["role": "attendee"], token: scene.admin),
            Baseline(method: .POST, route: "/api/v1/venues", path: "/api/v1/venues",
                     body: ["name": "V", "city": "C", "address": "A", "time_zone": "Europe/Berlin"], token: organizer),
            Baseline(method: .PATCH, route: "/api/v1/venues/{id}", path: "/api/v1/venues/\(scene.venue)",
                     body: ["name": "Harbour Hall", "city": "Hamburg", "address": "Kai 1", "time_zone": "Europe/Berlin"],
                     token: organizer),
            Baseline(method: .POST, route: "/api/v1/events", path: "/api/v1/events",
                     body: ["venue_id": scene.venue, "category": "music", "title": "T", "description": "D",
                            "starts_at": start.formatted(.iso8601), "ends_at": start.addingTimeInterval(3600).formatted(.iso8601),
                            "reentry_policy": "single_entry"], token: organizer),
            Baseline(method: .PATCH, route: "/api/v1/events/{id}", path: "/api/v1/events/\(scene.draftEvent)",
                     body: ["title": "Draft", "description": "d", "category": "music"], token: organizer),
            Baseline(method: .POST, route: "/api/v1/events/{id}/ticket-types", path: "/api/v1/events/\(scene.draftEvent)/ticket-types",
                     body: ["name": "N", "price_minor": 100, "currency": "EUR", "capacity": 5], token: organizer),
            Baseline(method: .PATCH, route: "/api/v1/ticket-types/{id}", path: "/api/v1/ticket-types/\(scene.draftType)",
                     body: ["name": "Early", "price_minor": 900, "currency": "EUR", "capacity": 10], token: organizer),
            Baseline(method: .POST, route: "/api/v1/bookings", path: "/api/v1/bookings",
                     body: ["event_id": scene.event, "items": [["ticket_type_id": scene.typeA, "quantity": 1],
                                                              ["ticket_type_id": scene.typeB, "quantity": 1]]], token: buyer),
            Baseline(method: .POST, route: "/api/v1/bookings/{id}/checkout", path: "/api/v1/bookings/\(scene.heldBooking)/checkout",
                     body: ["card": ["number": "4000 0000 0000 0002", "expiry": "12/39", "cvc": "123"]], token: buyer,
                     headers: [("Idempotency-Key", UUID().uuidString)]),
            Baseline(method: .POST, route: "/api/v1/bookings/{id}/refunds", path: "/api/v1/bookings/\(scene.paidBooking)/refunds",
                     body: ["ticket_ids": [scene.paidTicket]], token: organizer, headers: [("Idempotency-Key", UUID().uuidString)]),
            Baseline(method: .PUT, route: "/api/v1/events/{id}/waiting-room", path: "/api/v1/events/\(scene.draftEvent)/waiting-room",
                     body: ["opens_at": start.formatted(.iso8601), "admit_per_minute": 60, "pass_minutes": 10], token: organizer),
            // No room on this event: a body that reads is a 404, one that does not a 4xx of its own.
            Baseline(method: .POST, route: "/api/v1/events/{id}/waiting-room/entries",
                     path: "/api/v1/events/\(scene.event)/waiting-room/entries", body: ["device_id": "phone-0123456789"], token: buyer),
            Baseline(method: .POST, route: "/api/v1/check-ins", path: "/api/v1/check-ins",
                     body: ["payload": scene.paidPayload, "gate": "Main", "direction": "exit"], token: organizer),
            Baseline(method: .POST, route: "/api/v1/organizers/me/staff", path: "/api/v1/organizers/me/staff",
                     body: ["email": "door@example.com", "display_name": "Door", "password": "correct horse battery"], token: organizer),
            Baseline(method: .POST, route: "/api/v1/organizers/me/webhooks", path: "/api/v1/organizers/me/webhooks",
                     body: ["url": "https://hooks.example.com/in", "event_types": ["booking.paid"]], token: organizer),
            Baseline(method: .POST, route: "/api/v1/venues/{id}/enrollment-codes", path: "/api/v1/venues/\(scene.venue)/enrollment-codes",
                     body: ["name": "Door", "expires_in_hours": 1], token: organizer),
            Baseline(method: .PUT, route: "/api/v1/nodes/{id}/allotments/{ticketType}",
                     path: "/api/v1/nodes/\(scene.node)/allotments/\(scene.typeA)", body: ["granted": 10], token: organizer),
            Baseline(method: .POST, route: "/api/v1/conflicts/{id}/resolve", path: "/api/v1/conflicts/\(scene.conflict)/resolve",
                     body: ["note": "checked"], token: organizer),
            Baseline(method: .PATCH, route: "/api/v1/me", path: "/api/v1/me", body: ["display_name": "B", "phone": "+4915112345678"],
                     token: buyer),
            Baseline(method: .PUT, route: "/api/v1/me/notification-preferences", path: "/api/v1/me/notification-preferences",
                     body: ["preferences": [["channel": "email", "kind": "refund", "enabled": true]]], token: buyer),
            Baseline(method: .GET, route: "/api/v1/organizers/me/audit", path: "/api/v1/organizers/me/audit",
                     query: [("before", "1000"), ("limit", "10")], token: organizer),
            Baseline(method: .GET, route: "/api/v1/events/{id}/check-ins", path: "/api/v1/events/\(scene.event)/check-ins",
                     query: [("limit", "10"), ("gate", "Main")], token: organizer),
            Baseline(method: .GET, route: "/api/v1/events/{id}/door-sales", path: "/api/v1/events/\(scene.event)/door-sales",
                     query: [("limit", "10")], token: organizer),
            Baseline(method: .GET, route: "/api/v1/payments", path: "/api/v1/payments", query: [("limit", "10"), ("kind", "charge")],
                     token: buyer),
            Baseline(method: .GET, route: "/api/v1/organizers/me/transactions", path: "/api/v1/organizers/me/transactions",
                     query: [("limit", "10")], token: organizer),
            Baseline(method: .GET, route: "/api/v1/events/{id}/conflicts", path: "/api/v1/events/\(scene.event)/conflicts",
                     query: [("limit", "10"), ("resolved", "false")], token: organizer),
            Baseline(method: .GET, route: "/api/v1/admin/audit", path: "/api/v1/admin/audit",
                     query: [("before", "1000"), ("limit", "10")], token: scene.admin),
            Baseline(method: .GET, route: "/api/v1/events", path: "/api/v1/events",
                     query: [("q", "night"), ("category", "music"), ("city", "Hamburg"), ("min_price", "0"), ("max_price", "5000"),
                             ("page", "1"), ("per_page", "10")]),
            Baseline(method: .GET, route: "/api/v1/events/recommended", path: "/api/v1/events/recommended",
                     query: [("limit", "5")], token: buyer),
            Baseline(method: .GET, route: "/api/v1/organizers/me/statistics", path: "/api/v1/organizers/me/statistics",
                     query: [("event_id", scene.event), ("time_zone", "Europe/Berlin")], token: organizer),
        ]
    }

    /// The integer fields of each operation the document describes (`route METHOD` → field → range).
    static func documentedIntegers(_ document: [String: Any]) throws -> [String: [String: ClosedRange<Decimal>?]] {
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        func resolve(_ schema: [String: Any]) -> [String: Any] {
            guard let ref = schema["$ref"] as? String else { return schema }
            return schemas[String(ref.split(separator: "/").last!)] as? [String: Any] ?? [:]
        }
        func range(_ schema: [String: Any]) -> ClosedRange<Decimal>? {
            guard let minimum = (schema["minimum"] as? NSNumber)?.int64Value,
                let maximum = (schema["maximum"] as? NSNumber)?.int64Value
            else { return nil }
            return Decimal(minimum)...Decimal(maximum)
        }
        func integers(_ schema: [String: Any], _ path: String) -> [String: ClosedRange<Decimal>?] {
            let schema = resolve(schema)
            // An optional request field is `anyOf: [its schema, null]`.
            if let branches = schema["anyOf"] as? [[String: Any]] {
                return branches.reduce(into: [:]) { found, branch in found.merge(integers(branch, path)) { $1 } }
            }
            switch schema["type"] as? String {
            case "integer": return [path: range(schema)]
            case "array": return integers(schema["items"] as? [String: Any] ?? [:], path + "[]")
            case "object":
                var found: [String: ClosedRange<Decimal>?] = [:]
                for (name, property) in schema["properties"] as? [String: Any] ?? [:] {
                    found.merge(integers(property as? [String: Any] ?? [:], path.isEmpty ? name : path + "." + name)) { $1 }
                }
                return found
            default: return [:]
            }
        }
        var result: [String: [String: ClosedRange<Decimal>?]] = [:]
        for (path, methods) in document["paths"] as? [String: Any] ?? [:] {
            for (method, operation) in methods as? [String: Any] ?? [:] {
                guard let operation = operation as? [String: Any] else { continue }
                var fields: [String: ClosedRange<Decimal>?] = [:]
                for parameter in operation["parameters"] as? [[String: Any]] ?? [] where parameter["in"] as? String == "query" {
                    let schema = parameter["schema"] as? [String: Any] ?? [:]
                    if schema["type"] as? String == "integer" { fields["?" + (parameter["name"] as! String)] = range(schema) }
                }
                if let body = ((operation["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"]
                    as? [String: Any], let schema = body["schema"] as? [String: Any]
                {
                    fields.merge(integers(schema, "")) { $1 }
                }
                if !fields.isEmpty { result["\(path) \(method.uppercased())"] = fields }
            }
        }
        return result
    }

    @Test("The API: every integer field answers 4xx to Int64.min, Int64.max, 2^63, 1e300, −1 and 0 (2xx only within its documented range); every text field 422 to NUL and to bytes that are not UTF-8")
    func api() async throws {
        try await Self.withScene { scene, _ in
            let document = try #require(
                try JSONSerialization.jsonObject(with: try await scene.api.get("/openapi.json").body) as? [String: Any])
            let documented = try Self.documentedIntegers(document)
            let baselines = Self.apiBaselines(scene)
            let byRoute = Dictionary(baselines.map { ("\($0.route) \($0.method.rawValue)", $0) }, uniquingKeysWith: { first, _ in first })
            // Every operation with integers or a JSON body has a baseline (sync routes have their own sweep).
            for (path, methods) in document["paths"] as? [String: Any] ?? [:] where !path.hasPrefix("/api/v1/sync/") {
                for (method, operation) in methods as? [String: Any] ?? [:] {
                    let takesBody = (operation as? [String: Any])?["requestBody"] != nil
                    let key = "\(path) \(method.uppercased())"
                    if takesBody || documented[key] != nil { #expect(byRoute[key] != nil, "no hostile-input baseline for \(key)") }
                }
            }
            for (key, fields) in documented where !key.hasPrefix("/api/v1/sync/") {
                for (field, range) in fields { #expect(range != nil, "\(key) \(field): the document states no minimum and maximum") }
                guard let baseline = byRoute[key] else { continue }
                // The baseline carries every documented integer field, so each one is swept.
                var covered = Set(baseline.query.map { "?" + $0.0 })
                if let body = baseline.body { covered.formUnion(Self.leaves(body, Self.isInteger).map(Self.schemaPath)) }
                #expect(Set(fields.keys).subtracting(covered).isEmpty, "\(key): no baseline value for \(Set(fields.keys).subtracting(covered))")
            }

            for baseline in baselines {
                let key = "\(baseline.route) \(baseline.method.rawValue)"
                let ranges = documented[key] ?? [:]
                // Integers in the body.
                if let body = baseline.body {
                    for path in Self.leaves(body, Self.isInteger) {
                        let field = Self.schemaPath(path)
                        for literal in Self.hostileIntegers {
                            let mutated = Self.replacing(body, at: path, with: Self.placeholder)
                            let response = try await Self.send(
                                scene.api, baseline, body: try Self.bytes(mutated, replacingPlaceholderWith: Array(literal.utf8)), query: [])
                            try await Self.expectAlive(scene.server, after: "\(key) \(field) = \(literal)")
                            Self.expect(response, field: "\(key) \(field) = \(literal)", inRange: Self.literal(literal, isIn: ranges[field] ?? nil))
                        }
                    }
                }
                // Integers in the query.
                for (index, (name, _)) in baseline.query.enumerated() where ranges["?" + name] != nil {
                    for literal in Self.hostileIntegers {
                        var query = baseline.query
                        query[index].1 = literal
                        let response = try await Self.send(scene.api, baseline, body: try baseline.body.map { try Self.bytes($0, replacingPlaceholderWith: []) }, query: query)
                        try await Self.expectAlive(scene.server, after: "\(key) ?\(name)=\(literal)")
                        Self.expect(response, field: "\(key) ?\(name)=\(literal)", inRange: Self.literal(literal, isIn: ranges["?" + name] ?? nil))
                    }
                }
                try await Self.sweepText(scene.server, baseline, key: key)
            }
            try await Self.expectReportsWork(scene)
            try await Self.expectLowerCaseUUIDs(scene, document: document)
        }
    }

    /// Every GET route of the document, its path filled from the scene, as each kind of user:
    /// no answer carries an upper-case UUID.
    static func expectLowerCaseUUIDs(_ scene: Scene, document: [String: Any]) async throws {
        let organizerID = try #require(try await scene.api.get("/api/v1/organizers/me", token: scene.organizer).json["id"].string)
        let fill: [String: String] = [
            "/api/v1/events/{id}": scene.event, "/api/v1/bookings/{id}": scene.paidBooking, "/api/v1/tickets/{id}": scene.paidTicket,
            "/api/v1/organizers/{id}": organizerID, "/api/v1/venues/{id}": scene.venue, "/api/v1/auth/system-tokens/{id}": UUID().uuidString,
            "/api/v1/nodes/{id}": scene.node,
        ]
        var checked = 0
        for (path, methods) in document["paths"] as? [String: Any] ?? [:] where (methods as? [String: Any])?["get"] != nil {
            var concrete = path
            for (prefix, value) in fill where path.hasPrefix(prefix) {
                concrete = concrete.replacingOccurrences(of: "{id}", with: value)
            }
            guard !concrete.contains("{"), !path.hasSuffix(".png"), !path.hasSuffix(".svg"), path != "/metrics" else { continue }
            if isEventStream(methods) {
                // A stream never ends: its first event is what is checked.
                let stream = try await EventStream.open(
                    scene.api.baseURL + concrete, headers: [("Authorization", "Bearer \(scene.organizer)")])
                let first = try #require(try await stream.next(), "GET \(concrete): no event")
                checked += 1
                #expect(upperCaseUUIDs(Data(first.data.utf8)).isEmpty, "GET \(concrete): upper-case UUIDs in \(first.data.prefix(300))")
                continue
            }
            for token in [scene.organizer, scene.buyer, scene.admin] {
                let response = try await scene.api.get(concrete, token: token)
                guard (200..<300).contains(response.status) else { continue }
                checked += 1
                #expect(upperCaseUUIDs(response.body).isEmpty, "GET \(concrete): upper-case UUIDs in \(response.text.prefix(300))")
            }
        }
        #expect(checked >= 40, "only \(checked) answers were checked for UUIDs")
    }

    /// Whether a path's GET answers with Server-Sent Events (a response that never ends).
    static func isEventStream(_ methods: Any) -> Bool {
        let responses = ((methods as? [String: Any])?["get"] as? [String: Any])?["responses"] as? [String: Any]
        return ((responses?["200"] as? [String: Any])?["content"] as? [String: Any])?["text/event-stream"] != nil
    }

    /// Upper-case UUIDs in an answer: every UUID the server and the node send is lower case (RFC 9562).
    static func upperCaseUUIDs(_ body: Data) -> [String] {
        String(decoding: body, as: UTF8.self)
            .matches(of: /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/)
            .map { String($0.output) }.filter { $0 != $0.lowercased() }
    }

    /// 4xx always; a 2xx as well when the value is inside the field's range. Never a 5xx.
    static func expect(_ response: APIResponse, field: String, inRange: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(upperCaseUUIDs(response.body).isEmpty, "\(field): upper-case UUIDs in \(response.text.prefix(300))",
                sourceLocation: sourceLocation)
        if inRange {
            #expect(response.status < 500, "\(field): \(response.status) \(response.text.prefix(300))", sourceLocation: sourceLocation)
        } else {
            #expect((400..<500).contains(response.status), "\(field): \(response.status) \(response.text.prefix(300))",
                    sourceLocation: sourceLocation)
        }
    }

    /// Every text field of the body and the query, once with a NUL character and once with bytes
    /// that are not UTF-8: 422, and the process lives.
    static func sweepText(_ process: ServerProcess, _ baseline: Baseline, key: String) async throws {
        let client = process.api
        let poisons: [(String, [UInt8], String)] = [
            ("NUL", Array(#""a\u0000b""#.utf8), "%00"), ("not UTF-8", [UInt8(ascii: "\""), 0x61, 0xFF, 0xFE, UInt8(ascii: "\"")], "%FF%FE"),
        ]
        if let body = baseline.body {
            for path in leaves(body, { $0 is String }) {
                for (name, raw, _) in poisons {
                    let response = try await send(
                        client, baseline, body: try bytes(replacing(body, at: path, with: placeholder), replacingPlaceholderWith: raw),
                        query: baseline.query)
                    try await expectAlive(process, after: "\(key) \(schemaPath(path)) with \(name)")
                    #expect(response.status == 422, "\(key) \(schemaPath(path)) with \(name): \(response.status) \(response.text.prefix(200))")
                }
            }
        }
        for index in baseline.query.indices {
            for (name, _, encoded) in poisons {
                var query = baseline.query
                query[index].1 = "x" + encoded
                let response = try await send(client, baseline, body: try baseline.body.map { try bytes($0, replacingPlaceholderWith: []) }, query: query)
                try await expectAlive(process, after: "\(key) ?\(query[index].0) with \(name)")
                #expect(response.status == 422, "\(key) ?\(query[index].0) with \(name): \(response.status) \(response.text.prefix(200))")
            }
        }
    }

    /// What hostile facts once broke stays whole: the organizer's statistics and pages answer.
    static func expectReportsWork(_ scene: Scene) async throws {
        #expect(try await scene.api.get("/api/v1/organizers/me/statistics", token: scene.organizer).status == 200)
        #expect(try await scene.api.get("/api/v1/organizers/me/statistics?event_id=\(scene.event)", token: scene.organizer).status == 200)
        #expect(try await scene.api.get("/health").status == 200)
    }

    // MARK: Sync messages

    /// Each sync message with every field present, and the range each integer field accepts.
    static func syncBaselines(_ scene: Scene) throws -> [(route: String, message: any Encodable & Sendable)] {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let clock = SyncClockReading(hlc: HLCTimestamp(wallMilliseconds: now), wallMilliseconds: now)
        let node = UUID(uuidString: scene.node)!, event = UUID(uuidString: scene.event)!, type = UUID(uuidString: scene.typeA)!
        let ticketID = UUID()
        let sold = try SignedTicket.sign(
            TicketClaims(ticketID: ticketID, eventID: event, ticketTypeID: type, validUntil: Date().addingTimeInterval(86_400)),
            with: scene.deviceKey)
        let sale = SyncSale(
            id: UUID(), nodeID: node, eventID: event, ticketTypeID: type, quantity: 1, paymentMethod: .cash, amountMinor: 2500,
            currency: "EUR", hlc: clock.hlc, tickets: [SyncSoldTicket(id: ticketID, payload: sold.text)])
        let scan = SyncScan(
            id: UUID(), ticketID: UUID(uuidString: scene.paidTicket)!, issueVersion: 1, eventID: event, direction: .entry,
            gate: "Main", nodeID: node, hlc: clock.hlc, verdict: .ok)
        return [
            ("enroll", EnrollRequest(code: "ABCD-EFGH", devicePublicKey: Data(SigningKey().publicKey.rawRepresentation).base64EncodedString(), name: "X")),
            ("snapshot", SnapshotRequest(clock: clock)),
            ("pull", PullRequest(cursor: "0.0", limit: 10, clock: clock, outboxDepth: 0)),
            ("push", PushRequest(nodeID: node, clock: clock, mutations: [SyncMutation(mutationID: 10, body: .scan(scan))])),
            ("push", PushRequest(nodeID: node, clock: clock, mutations: [SyncMutation(mutationID: 11, body: .sale(sale))])),
            ("push", PushRequest(nodeID: node, clock: clock, mutations: [
                SyncMutation(mutationID: 12, body: .release(SyncRelease(ticketTypeID: type, quantity: 1)))])),
            ("allotments", TopUpRequest(ticketTypeID: type, quantity: 1)),
            // A fact of a node this venue does not know: rejected on its own, the relay answered.
            ("relay", RelayRequest(nodeID: node, clock: clock, facts: [
                try SignedFact.sign(
                    node: UUID(), mutationID: 1, kind: .scan, body: String(decoding: try SyncJSON.encoder.encode(scan), as: UTF8.self),
                    key: SigningKey().privateKey)])),
        ]
    }

    /// The values each sync integer field accepts (by its last key), from the one place they are defined.
    static func syncRange(_ path: [Step], route: String) -> ClosedRange<Decimal>? {
        func range<T: BinaryInteger>(_ bounds: ClosedRange<T>) -> ClosedRange<Decimal> {
            Decimal(Int64(bounds.lowerBound))...Decimal(Int64(bounds.upperBound))
        }
        let keys = path.compactMap { if case .key(let key) = $0 { key } else { nil } }
        switch (keys.dropLast().last, keys.last) {
        case (_, "protocol_version"):
            let served = SyncProtocolVersion.supported.map(\.rawValue)
            return Decimal(served.min()!)...Decimal(served.max()!)
        case (_, "wall_milliseconds"): return range(FieldLimits.wallMilliseconds)
        case (_, "limit"): return range(FieldLimits.pullPageSize)
        case (_, "outbox_depth"): return range(FieldLimits.outboxDepth)
        case (_, "mutation_id"): return range(FieldLimits.mutationID)
        case (_, "issue_version"): return range(FieldLimits.issueVersion)
        case ("sale", "quantity"): return range(FieldLimits.ticketsPerDoorSale)
        case ("sale", "amount_minor"): return range(FieldLimits.doorSaleAmountMinor)
        case ("release", "quantity"): return range(FieldLimits.allotmentSeats)
        case (_, "quantity") where route == "allotments": return range(FieldLimits.topUpSeats)
        default: return nil
        }
    }

    /// A field of a push's item other than its `mutation_id`: out of range, a v2 server rejects
    /// that item alone; a bad `mutation_id` refuses the push whole.
    static func isInsideAPushItem(_ path: [Step], route: String) -> Bool {
        let keys = path.compactMap { if case .key(let key) = $0 { key } else { nil } }
        return route == "push" && keys.first == "mutations" && keys.last != "mutation_id"
    }

    @Test("Sync messages: every integer field (protocol version, clock, limits, mutation ids, quantities, amounts) and every text field, hostile: 4xx, the server lives, statistics stay whole")
    func sync() async throws {
        try await Self.withScene { scene, _ in
            for (route, message) in try Self.syncBaselines(scene) {
                let body = try JSONSerialization.jsonObject(with: try SyncJSON.encoder.encode(message))
                let baseline = Baseline(
                    method: .POST, route: "/api/v1/sync/\(route)", path: "/api/v1/sync/\(route)", body: body,
                    token: route == "enroll" ? nil : scene.nodeToken)
                let integers = Self.leaves(body, Self.isNumber)
                #expect(!integers.isEmpty, "\(route): no integer field found")
                for path in integers {
                    let range = Self.syncRange(path, route: route)
                    #expect(range != nil, "\(route) \(Self.schemaPath(path)): no range known for this sync field")
                    for literal in Self.hostileIntegers {
                        let response = try await Self.send(
                            scene.api, baseline,
                            body: try Self.bytes(Self.replacing(body, at: path, with: Self.placeholder), replacingPlaceholderWith: Array(literal.utf8)),
                            query: [])
                        let field = "sync \(route) \(Self.schemaPath(path)) = \(literal)"
                        try await Self.expectAlive(scene.server, after: field)
                        let inRange = Self.literal(literal, isIn: range)
                        if !inRange, Self.isInsideAPushItem(path, route: route), response.errorCode != "invalid_json" {
                            // v2 rejects the item on its own and answers for the rest (sync-v2.md §6.2) —
                            // unless the body is not JSON at all to the reader (Foundation refuses some
                            // 64-bit literals as JSON), which refuses the push whole.
                            #expect(response.status == 200, "\(field): \(response.status) \(response.text.prefix(300))")
                            // Its id may already be logged from an earlier variant: then it is a replay, `duplicate`.
                            let result = response.json["results"].array.first
                            let status = result?["status"].string
                            #expect(status == "rejected" || status == "duplicate", "\(field): \(response.text.prefix(300))")
                            if status == "rejected" { #expect(result?["error"]["code"].string == "unreadable_mutation", "\(field)") }
                        } else {
                            Self.expect(response, field: field, inRange: inRange)
                        }
                    }
                }
                try await Self.sweepText(scene.server, baseline, key: "sync \(route)")
            }
            try await Self.expectReportsWork(scene)
            let organizer = try await scene.server.api.get("/api/v1/organizers/me/statistics", token: scene.organizer)
            #expect(organizer.json["door_sales"]["amount_minor"].int.map { $0 <= 2 * 2500 } == true, "\(organizer.text)")
        }
    }
}

// MARK: Web forms and the node

extension HostileInputTests {
    /// A form of the web site with numeric fields: where it posts, its fields, and the range of each number.
    struct Form {
        let browser: WebClient
        let path: String
        let fields: [(String, String)]
        /// Field → the values it accepts (as text of a whole number).
        let integers: [String: ClosedRange<Decimal>]
        var method: HTTPMethod = .POST
    }

    /// Numeric inputs in the site's templates (`type="number"`, the quantity selects).
    static func numericInputsInTemplates() throws -> Set<String> {
        let directory = repositoryRoot.appendingPathComponent("Sources/SpotServer/Web/Templates")
        var names = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: /<input[^>]*type="number"[^>]*>/) {
                if let name = String(match.output).firstMatch(of: /name="([^"]+)"/)?.1 { names.insert(String(name)) }
            }
            for match in text.matches(of: /<select name="(qty)\./) { names.insert(String(match.1) + ".") }
        }
        return names
    }

    @Test("Web forms: quantities, prices, capacities, seats and pages hostile — 4xx and the server lives; every field with NUL or bytes that are not UTF-8 — 422")
    func webForms() async throws {
        try await Self.withScene { scene, _ in
            let buyer = try WebClient(port: scene.server.port)
            _ = try await buyer.get("/signin")
            #expect(try await buyer.post("/signin", [("email", "buyer@example.com"), ("password", "correct horse battery")]).status == 303)
            let organizer = WebClient(port: scene.server.port)
            _ = try await organizer.get("/signin")
            #expect(try await organizer.post("/signin", [("email", "org@example.com"), ("password", "correct horse battery")]).status == 303)
            func range<T: BinaryInteger>(_ bounds: ClosedRange<T>) -> ClosedRange<Decimal> {
                Decimal(Int64(bounds.lowerBound))...Decimal(Int64(bounds.upperBound))
            }
            let price = range(0...(FieldLimits.priceMinor.upperBound / 100))
            let forms = [
                // 0 means "none of this type": the other type's one ticket is still booked.
                Form(browser: buyer, path: "/events/\(scene.event)/book", fields: [("qty.\(scene.typeA)", "1"), ("qty.\(scene.typeB)", "1")],
                     integers: ["qty.\(scene.typeA)": range(0...FieldLimits.ticketsPerBooking.upperBound)]),
                Form(browser: organizer, path: "/organizer/events/\(scene.draftEvent)/ticket-types",
                     fields: [("name", "Late"), ("price", "9.00"), ("currency", "EUR"), ("capacity", "10")],
                     integers: ["price": price, "capacity": range(FieldLimits.capacity)]),
                Form(browser: organizer, path: "/organizer/ticket-types/\(scene.draftType)",
                     fields: [("name", "Early"), ("price", "9.00"), ("currency", "EUR"), ("capacity", "10")],
                     integers: ["price": price, "capacity": range(FieldLimits.capacity)]),
                Form(browser: organizer, path: "/organizer/nodes/\(scene.node)/allotments",
                     fields: [("event_id", scene.event), ("ticket_type_id", scene.typeA), ("granted", "5")],
                     integers: ["granted": range(FieldLimits.allotmentSeats)]),
                Form(browser: organizer, path: "/organizer/events/\(scene.draftEvent)/waiting-room",
                     fields: [("opens_at", "2030-01-01T10:00"), ("admit_per_minute", "60"), ("pass_minutes", "10")],
                     integers: ["admit_per_minute": range(FieldLimits.admitPerMinute), "pass_minutes": range(FieldLimits.passMinutes)]),
                // The site's search shows 10 a page: `page` is its only number.
                Form(browser: buyer, path: "/search", fields: [("q", "night"), ("page", "1")], integers: ["page": 1...10_000],
                     method: .GET),
            ]
            let covered = Set(forms.flatMap { $0.integers.keys.map { $0.hasPrefix("qty.") ? "qty." : $0 } })
            let numeric = try Self.numericInputsInTemplates()
            #expect(numeric.subtracting(covered).isEmpty, "numeric form fields without a hostile sweep: \(numeric.subtracting(covered))")

            func submit(_ form: Form, _ fields: [(String, String)]) async throws -> WebPage {
                if form.method == .GET {
                    return try await form.browser.get(form.path + "?" + fields.map { "\($0.0)=\($0.1)" }.joined(separator: "&"))
                }
                return try await form.browser.post(form.path, encodedFields: fields)
            }
            for form in forms {
                for (index, (name, _)) in form.fields.enumerated() {
                    if let accepted = form.integers[name] {
                        for literal in Self.hostileIntegers {
                            var fields = form.fields
                            fields[index].1 = literal
                            let page = try await submit(form, fields)
                            try await Self.expectAlive(scene.server, after: "\(form.path) \(name)=\(literal)")
                            let inRange = Self.literal(literal, isIn: accepted)
                            #expect(inRange ? page.status < 500 : (400..<500).contains(page.status),
                                    "\(form.path) \(name)=\(literal): \(page.status)")
                        }
                    }
                    for poison in ["x%00y", "x%FF%FEy"] {
                        var fields = form.fields
                        fields[index].1 = poison
                        let page = try await submit(form, fields)
                        try await Self.expectAlive(scene.server, after: "\(form.path) \(name)=\(poison)")
                        #expect(page.status == 422, "\(form.path) \(name)=\(poison): \(page.status)")
                    }
                }
            }
            // A form's field names are text as well.
            #expect(try await buyer.post("/events/\(scene.event)/book", encodedFields: [("qty%00", "1")]).status == 422)
            try await Self.expectReportsWork(scene)
            #expect(try await organizer.get("/organizer").status == 200)
            #expect(try await organizer.get("/organizer/events/\(scene.event)").status == 200)
        }
    }

    @Test("The node: hostile quantities and text on every route with a body answer 4xx and the node lives; sign-in takes JSON only")
    func node() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-hostile-node")
            defer { try? FileManager.default.removeItem(at: directory) }
            let scene = try await DoorScene.make(database: database, directory: directory, tickets: 1, seats: 20)
            let (server, venue) = (scene.server, scene.venue)
            let (node, _) = try await scene.runNode()
            let staff = try await VenueNodeTests.staff(node)
            let token = try #require(staff.bearerToken)
            func range<T: BinaryInteger>(_ bounds: ClosedRange<T>) -> ClosedRange<Decimal> {
                Decimal(Int64(bounds.lowerBound))...Decimal(Int64(bounds.upperBound))
            }
            let baselines: [(Baseline, [String: ClosedRange<Decimal>])] = [
                (Baseline(method: .POST, route: "session", path: "/api/v1/session", body: ["pin": VenueNodeTests.staffPIN]), [:]),
                (Baseline(method: .POST, route: "scans", path: "/api/v1/scans",
                          body: ["payload": venue.tickets[0].payload, "gate": "Main", "direction": "entry"], token: token), [:]),
                (Baseline(method: .POST, route: "sales", path: "/api/v1/sales",
                          body: ["ticket_type_id": venue.ticketType, "quantity": 1, "payment_method": "cash"], token: token),
                 ["quantity": range(FieldLimits.ticketsPerDoorSale)]),
                (Baseline(method: .POST, route: "release", path: "/api/v1/allotments/release",
                          body: ["ticket_type_id": venue.ticketType, "quantity": 1], token: token),
                 ["quantity": range(FieldLimits.allotmentSeats)]),
                (Baseline(method: .POST, route: "top-up", path: "/api/v1/allotments/top-up",
                          body: ["ticket_type_id": venue.ticketType, "quantity": 1], token: token),
                 ["quantity": range(FieldLimits.allotmentSeats)]),
            ]
            // The routes' answers as they come, and the staff routes without a body.
            for (baseline, _) in baselines.dropFirst() {
                let answer = try await Self.send(
                    node.api, baseline, body: try baseline.body.map { try Self.bytes($0, replacingPlaceholderWith: []) }, query: [])
                #expect(Self.upperCaseUUIDs(answer.body).isEmpty, "node \(baseline.route): \(answer.text.prefix(300))")
            }
            for path in ["/api/v1/status", "/api/v1/catalogue", "/api/v1/session"] {
                let answer = try await node.api.get(path, token: token)
                #expect(answer.status == 200 && Self.upperCaseUUIDs(answer.body).isEmpty, "node GET \(path): \(answer.text.prefix(300))")
            }
            for (baseline, ranges) in baselines {
                let body = try #require(baseline.body)
                for path in Self.leaves(body, Self.isInteger) {
                    let field = Self.schemaPath(path)
                    #expect(ranges[field] != nil, "node \(baseline.route) \(field): no range")
                    for literal in Self.hostileIntegers {
                        let response = try await Self.send(
                            node.api, baseline,
                            body: try Self.bytes(Self.replacing(body, at: path, with: Self.placeholder), replacingPlaceholderWith: Array(literal.utf8)),
                            query: [])
                        try await Self.expectAlive(node, after: "node \(baseline.route) \(field) = \(literal)")
                        Self.expect(response, field: "node \(baseline.route) \(field) = \(literal)", inRange: Self.literal(literal, isIn: ranges[field]))
                    }
                }
                try await Self.sweepText(node, baseline, key: "node \(baseline.route)")
            }
            // A page on the LAN can post text/plain across origins without asking: the node takes JSON only.
            let plain = try await node.api.send(
                .POST, "/api/v1/session", body: Data(#"{"pin":"2468"}"#.utf8), headers: [("Content-Type", "text/plain")])
            #expect(plain.status == 415, "\(plain.text)")
            #expect(try await node.api.get("/health").status == 200)
            #expect(try await node.stop() == 0)
            #expect(try await server.stop() == 0)
        }
    }
}
