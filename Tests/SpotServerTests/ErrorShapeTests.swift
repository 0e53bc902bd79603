import Foundation
import SpotTestSupport
import Testing

@Suite("One error shape, correct statuses, nothing written on rejection")
struct ErrorShapeTests {
    @Test("Malformed JSON is 400, wrong types 422 naming the field, oversized bodies 413, unknown routes 404")
    func shapes() async throws {
        try await TestServer.run { server in
            let malformed = try await server.api.send(.POST, "/api/v1/auth/register", body: Data("{\"email\": ".utf8))
            #expect(malformed.status == 400)
            #expect(malformed.errorCode == "invalid_json")

            let wrongType = try await server.api.post(
                "/api/v1/auth/register", ["email": 5, "password": "long enough pass", "display_name": "X"])
            #expect(wrongType.status == 422)
            #expect(wrongType.json["error"]["fields"]["email"].string == "expected a string")

            let missing = try await server.api.post("/api/v1/auth/login", ["email": "a@b.co"])
            #expect(missing.status == 422)
            #expect(missing.json["error"]["fields"]["password"].string == "is required")

            let huge = try await server.api.send(
                .POST, "/api/v1/auth/register",
                body: Data("{\"email\":\"\(String(repeating: "a", count: 70_000))\"}".utf8))
            #expect(huge.status == 413)
            #expect(huge.errorCode == "payload_too_large")

            let unknown = try await server.api.get("/api/v1/nothing-here")
            #expect(unknown.status == 404)
            #expect(unknown.errorCode == "not_found")

            let badID = try await server.api.get("/api/v1/events/not-a-uuid")
            #expect(badID.status == 404)

            let badQuery = try await server.api.get("/api/v1/events?per_page=1000&free=maybe&from=yesterday")
            #expect(badQuery.status == 422)
            #expect(Set(badQuery.json["error"]["fields"].object.keys) == ["per_page", "free", "from"])

            for response in [malformed, wrongType, missing, huge, unknown, badQuery] {
                #expect(response.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
                #expect(response.json["error"]["message"].string?.isEmpty == false)
                #expect(!response.text.contains("PSQL") && !response.text.contains("SELECT") && !response.text.contains(".swift"))
            }
            #expect(try await server.count("SELECT count(*)::int FROM users") == 0)
        }
    }

    @Test("Injection attempts are plain data")
    func injection() async throws {
        try await TestServer.run { server in
            let hostile = "x'); DROP TABLE users; --"
            let search = try await server.api.get(
                "/api/v1/events?q=\(hostile.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            #expect(search.status == 200)
            #expect(search.json["total"].int == 0)
            let (token, _, _) = try await server.register("org@example.com", role: "organizer")
            let venue = try await server.api.post(
                "/api/v1/venues", ["name": hostile, "city": hostile, "address": hostile, "time_zone": "UTC"], token: token)
            #expect(venue.status == 201)
            #expect(venue.json["name"].string == hostile)
            #expect(try await server.count("SELECT count(*)::int FROM users") == 1)
        }
    }
}
