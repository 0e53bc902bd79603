import Foundation
import Logging
import PostgresNIO
@testable import SpotServer
import SpotTestSupport
import Testing

@Suite("Auth: registration, sign-in, tokens, system tokens, rate limits")
struct AuthTests {
    @Test("Register, sign in, read /me; wrong password and unknown email give the same 401")
    func registerAndLogin() async throws {
        try await TestServer.run { server in
            let (token, id, _) = try await server.register("ann@example.com")
            let me = try await server.api.get("/api/v1/auth/me", token: token)
            #expect(me.status == 200)
            #expect(me.json["id"].string == id)
            #expect(me.json["role"].string == "attendee")
            #expect(me.json["password_hash"].isNull)
            #expect(id == id.lowercased(), "UUIDs are written in lower case")

            let login = try await server.api.post("/api/v1/auth/login", ["email": "ANN@example.com ", "password": "correct horse battery"])
            #expect(login.status == 200)
            #expect(login.json["token_type"].string == "Bearer")
            #expect(login.json["expires_in"].int == 900)

            let wrong = try await server.api.post("/api/v1/auth/login", ["email": "ann@example.com", "password": "wrong password!!"])
            let unknown = try await server.api.post("/api/v1/auth/login", ["email": "nobody@example.com", "password": "wrong password!!"])
            for response in [wrong, unknown] {
                #expect(response.status == 401)
                #expect(response.errorCode == "invalid_credentials")
                #expect(response.json["error"]["message"].string == "Wrong email or password.")
            }
        }
    }

    @Test("A taken email is 409; invalid fields are one 422 naming each field; nothing is stored")
    func registrationErrors() async throws {
        try await TestServer.run { server in
            _ = try await server.register("ann@example.com")
            let taken = try await server.api.post(
                "/api/v1/auth/register", ["email": "Ann@Example.com", "password": "another password", "display_name": "Ann"])
            #expect(taken.status == 409)
            #expect(taken.errorCode == "email_taken")

            let invalid = try await server.api.post(
                "/api/v1/auth/register", ["email": "not-an-email", "password": "short", "display_name": " ", "role": "admin"])
            #expect(invalid.status == 422)
            #expect(invalid.errorCode == "validation_failed")
            let fields = invalid.json["error"]["fields"].object
            #expect(Set(fields.keys) == ["email", "password", "display_name", "role"])
            #expect(try await server.count("SELECT count(*)::int FROM users") == 1)
        }
    }

    @Test("Refresh rotates; reusing a used refresh token revokes the whole session")
    func refreshReuseDetection() async throws {
        try await TestServer.run { server in
            let (access, _, refresh) = try await server.register("ann@example.com")
            let first = try await server.api.post("/api/v1/auth/refresh", ["refresh_token": refresh])
            #expect(first.status == 200)
            let rotated = try #require(first.json["refresh_token"].string)
            #expect(rotated != refresh)
            let newAccess = try #require(first.json["access_token"].string)
            #expect(try await server.api.get("/api/v1/auth/me", token: newAccess).status == 200)

            // An attacker replays the stolen, already-used token.
            let replay = try await server.api.post("/api/v1/auth/refresh", ["refresh_token": refresh])
            #expect(replay.status == 401)
            #expect(replay.errorCode == "refresh_token_reused")
            // The family is revoked: the legitimate newer token and every access token die too.
            let legit = try await server.api.post("/api/v1/auth/refresh", ["refresh_token": rotated])
            #expect(legit.status == 401)
            for token in [access, newAccess] {
                let me = try await server.api.get("/api/v1/auth/me", token: token)
                #expect(me.status == 401)
                #expect(me.errorCode == "token_revoked")
            }
            #expect(try await server.api.post("/api/v1/auth/refresh", ["refresh_token": "spot_rt_nonsense"]).errorCode == "token_invalid")
        }
    }

    @Test("Logout revokes the session's access token at once")
    func logout() async throws {
        try await TestServer.run { server in
            let (token, _, refresh) = try await server.register("ann@example.com")
            #expect(try await server.api.post("/api/v1/auth/logout", token: token).status == 204)
            let me = try await server.api.get("/api/v1/auth/me", token: token)
            #expect(me.status == 401)
            #expect(me.headers.first(name: "WWW-Authenticate") == "Bearer")
            #expect(try await server.api.post("/api/v1/auth/refresh", ["refresh_token": refresh]).status == 401)
        }
    }

    @Test("A session's answer is the same read from the database and from what is kept, for many requests at once")
    func sessionAnswers() async throws {
        try await TestServer.run { server in
            let organizer = try await server.register("org@example.com", role: "organizer")
            let attendee = try await server.register("ann@example.com")
            let signedOut = try await server.register("bob@example.com")
            let expired = try await server.register("eve@example.com")
            #expect(try await server.api.post("/api/v1/auth/logout", token: signedOut.token).status == 204)
            try await server.sql(
                "UPDATE sessions s SET expires_at = now() - interval '1 second' FROM users u WHERE u.id = s.user_id AND u.email_normalized = 'eve@example.com'")
            let logger = Logger(label: "t")
            try await TestDatabase.withClient(server.database, logger: logger) { client in
                var sessions: [UUID: UUID] = [:]
                for try await (session, user) in try await client.query("SELECT id, user_id FROM sessions", logger: logger)
                    .decode((UUID, UUID).self)
                {
                    sessions[user] = session
                }
                func check(_ account: (token: String, userID: String, refresh: String)) throws -> (session: UUID, user: UUID) {
                    let user = try #require(UUID(uuidString: account.userID))
                    return (try #require(sessions[user]), user)
                }
                let (organizerSession, organizerID) = try check(organizer)
                let (attendeeSession, attendeeID) = try check(attendee)
                // Live sessions answer their user's role; a signed-out, an expired session and a
                // session paired with another user's id answer nothing.
                let cases: [(session: UUID, user: UUID, role: Role?)] = [
                    (organizerSession, organizerID, .organizer), (attendeeSession, attendeeID, .attendee),
                    (try check(signedOut).session, try check(signedOut).user, nil),
                    (try check(expired).session, try check(expired).user, nil),
                    (organizerSession, attendeeID, nil),
                ]
                let kept = LiveSessions()
                kept.listening(true)
                let repository = AuthRepository(
                    database: Database(client: client, maximumConnections: 4, registry: .init()), sessions: kept)
                let asked = (0..<40).map { cases[$0 % cases.count] }
                // Once read from the database, then again from what was kept.
                for round in ["read", "kept"] {
                    let answers = try await withThrowingTaskGroup(of: (Int, Identity?).self) { group in
                        for (index, question) in asked.enumerated() {
                            group.addTask {
                                (index, try await repository.sessionIdentity(
                                    sessionID: question.session, userID: question.user, now: Date(), logger: logger))
                            }
                        }
                        return try await group.reduce(into: [Int: Identity?]()) { $0[$1.0] = $1.1 }
                    }
                    #expect(answers.count == asked.count)
                    for (index, question) in asked.enumerated() {
                        let identity = answers[index] ?? nil
                        #expect(identity?.role == question.role, "\(round): question \(index)")
                        if let identity {
                            #expect(identity.userID == question.user && identity.credential == .session(question.session))
                        }
                    }
                }
                #expect(kept.session(organizerSession)?.role == .organizer, "a live session is kept")
                #expect(kept.session(try check(signedOut).session) == nil, "a revoked one is not")
            }
        }
    }

    @Test("Tampered, foreign and expired access tokens are 401 with the reason")
    func badTokens() async throws {
        let clock = MovableClock()
        try await TestServer.run(configure: { $0.clock = clock.serverClock }) { server in
            let (token, _, _) = try await server.register("ann@example.com")
            // Verified once, its claims are remembered: the expiry below is still checked at each use.
            #expect(try await server.api.get("/api/v1/auth/me", token: token).status == 200)
            #expect(try await server.api.get("/api/v1/auth/me", token: token).status == 200)
            var parts = token.split(separator: ".").map(String.init)
            // Change the role claim to admin, keeping the signature.
            let payload = try #require(Data(base64URL: parts[1]))
            var claims = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
            claims["role"] = "admin"
            parts[1] = try JSONSerialization.data(withJSONObject: claims).base64URLEncodedString()
            let tampered = try await server.api.get("/api/v1/auth/me", token: parts.joined(separator: "."))
            #expect(tampered.status == 401)
            #expect(tampered.errorCode == "token_invalid")
            #expect(try await server.api.get("/api/v1/auth/me", token: "garbage").errorCode == "token_invalid")
            let basic = try await server.api.send(.GET, "/api/v1/auth/me", headers: [("Authorization", "Basic YTpi")])
            #expect(basic.status == 401)

            clock.advance(by: 16 * 60)
            let expired = try await server.api.get("/api/v1/auth/me", token: token)
            #expect(expired.status == 401)
            #expect(expired.errorCode == "token_expired")
        }
    }

    @Test("System tokens: created by organizers, shown once, usable as bearer, revocable")
    func systemTokens() async throws {
        try await TestServer.run { server in
            let (attendee, _, _) = try await server.register("att@example.com")
            #expect(try await server.api.post("/api/v1/auth/system-tokens", ["name": "x"], token: attendee).status == 403)

            let (organizer, organizerID, _) = try await server.register("org@example.com", role: "organizer")
            let created = try await server.api.post("/api/v1/auth/system-tokens", ["name": "Door node A"], token: organizer)
            #expect(created.status == 201)
            let secret = try #require(created.json["token"].string)
            #expect(secret.hasPrefix("spot_st_"))
            let id = try #require(created.json["system_token"]["id"].string)
            let expires = try #require(created.json["system_token"]["expires_at"].string.flatMap { try? Date($0, strategy: .iso8601) })
            #expect(abs(expires.timeIntervalSinceNow - 30 * 86_400) < 120)

            let me = try await server.api.get("/api/v1/auth/me", token: secret)
            #expect(me.json["id"].string == organizerID)
            // A system token cannot mint more tokens.
            #expect(try await server.api.post("/api/v1/auth/system-tokens", ["name": "y"], token: secret).status == 403)
            let listed = try await server.api.get("/api/v1/auth/system-tokens", token: organizer)
            #expect(listed.json["items"].array.count == 1)
            #expect(listed.json["items"][0]["token"].isNull, "the secret is never listed")

            #expect(try await server.api.delete("/api/v1/auth/system-tokens/\(id)", token: organizer).status == 204)
            let revoked = try await server.api.get("/api/v1/auth/me", token: secret)
            #expect(revoked.status == 401)
            #expect(revoked.errorCode == "token_revoked")
            #expect(try await server.api.delete("/api/v1/auth/system-tokens/\(id)", token: organizer).status == 404)
        }
    }

    @Test("Auth endpoints allow 5 attempts a minute per address, then 429 with Retry-After")
    func rateLimit() async throws {
        try await TestServer.run(configure: { $0.authRateLimit = .authentication }) { server in
            for attempt in 1...5 {
                let response = try await server.api.post(
                    "/api/v1/auth/login", ["email": "x\(attempt)@example.com", "password": "wrong password!!"])
                #expect(response.status == 401)
            }
            let limited = try await server.api.post("/api/v1/auth/login", ["email": "y@example.com", "password": "whatever pass"])
            #expect(limited.status == 429)
            #expect(limited.errorCode == "rate_limited")
            let retryAfter = try #require(limited.headers.first(name: "Retry-After").flatMap(Int.init))
            #expect((1...60).contains(retryAfter))
            // Registration shares the per-address limit.
            let register = try await server.api.post(
                "/api/v1/auth/register", ["email": "z@example.com", "password": "long enough pass", "display_name": "Z"])
            #expect(register.status == 429)
            #expect(try await server.count("SELECT count(*)::int FROM users") == 0)
        }
    }

    @Test("The limiter counts per address and per account, atomically under concurrency")
    func limiterKeys() async throws {
        try await TestDatabase.shared.withDatabase { configuration in
            try await TestDatabase.withClient(configuration, logger: .init(label: "test")) { client in
                let limiter = RateLimiterProbe(client: client, attempts: 5)
                for _ in 0..<5 { #expect(try await limiter.allowed(["ip:a", "account:x"])) }
                // Account x is exhausted from any address; address a is exhausted for any account.
                #expect(try await !limiter.allowed(["ip:b", "account:x"]))
                #expect(try await !limiter.allowed(["ip:a", "account:y"]))
                #expect(try await limiter.allowed(["ip:c", "account:z"]))
                // 20 concurrent attempts on a fresh key: exactly 5 get through.
                let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<20 { group.addTask { try await limiter.allowed(["ip:burst"]) } }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(results.filter { $0 }.count == 5)
            }
        }
    }
}

/// The rate limiter on a real database, answering allowed or limited.
struct RateLimiterProbe: Sendable {
    let limiter: RateLimiter

    init(client: PostgresClient, attempts: Int) {
        limiter = RateLimiter(
            database: Database(client: client, maximumConnections: 20, registry: .init()),
            policy: RateLimitPolicy(attempts: attempts, window: 60))
    }

    func allowed(_ keys: [String]) async throws -> Bool {
        do {
            try await limiter.reserve(keys.map { .init(key: $0, attempts: limiter.policy.attempts) }, logger: Logger(label: "test"))
            return true
        } catch let error as DomainError where error.code == .rateLimited {
            return false
        }
    }
}

/// Moves time forward on demand.
final class MovableClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: TimeInterval = 0

    func advance(by seconds: TimeInterval) { lock.withLock { offset += seconds } }

    /// Seconds the clock has been moved forward.
    var movedBy: TimeInterval { lock.withLock { offset } }

    var serverClock: ServerClock {
        ServerClock { [self] in Date().addingTimeInterval(lock.withLock { offset }) }
    }
}

extension Data {
    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }

    func base64URLEncodedString() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
