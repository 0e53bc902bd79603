import Foundation
import Testing

@testable import SpotServer

@Suite("Live sessions kept in the process")
struct LiveSessionsTests {
    let session = UUID()
    let user = UUID()
    let live: LiveSessions.Session

    init() {
        live = .init(user: user, role: .staff, expiresAt: Date(timeIntervalSinceNow: 3600))
    }

    @Test("Nothing is kept while not listening; a change or a lost listener drops what was kept")
    func keeping() {
        let kept = LiveSessions()
        kept.keep(live, for: session, readAt: kept.generation)
        #expect(kept.session(session) == nil, "not listening: nothing is kept")
        kept.listening(true)
        let other = UUID()
        kept.keep(live, for: session, readAt: kept.generation)
        kept.keep(live, for: other, readAt: kept.generation)
        #expect(kept.session(session) == live)
        kept.changed("session:\(session.uuidString.lowercased())")
        #expect(kept.session(session) == nil)
        #expect(kept.session(other) == live, "another session's change keeps it")
        kept.keep(live, for: session, readAt: kept.generation)
        kept.changed("user:\(UUID().uuidString.lowercased())")
        #expect(kept.session(session) == live, "another user's change keeps it")
        kept.changed("user:\(user.uuidString.lowercased())")
        #expect(kept.session(session) == nil && kept.session(other) == nil, "a user's change drops each of their sessions")
        let third = UUID()
        let stranger = LiveSessions.Session(user: UUID(), role: .attendee, expiresAt: live.expiresAt)
        kept.keep(live, for: session, readAt: kept.generation)
        kept.keep(live, for: third, readAt: kept.generation)
        kept.keep(stranger, for: other, readAt: kept.generation)
        kept.forget(session: session)
        #expect(kept.session(session) == nil && kept.session(third) == live)
        kept.forget(user: user)
        #expect(kept.session(third) == nil, "the user's other session goes with them")
        #expect(kept.session(other) == stranger, "another user's session stays")
        kept.keep(live, for: session, readAt: kept.generation)
        kept.listening(false)
        kept.listening(true)
        #expect(kept.session(session) == nil, "notifications may have been missed while the listener was away")
        kept.keep(live, for: session, readAt: kept.generation)
        kept.changed("something else")
        #expect(kept.session(session) == nil, "an unreadable notification drops everything")
    }

    @Test("A session read before a change arrived, or before this process revoked it, is not kept")
    func staleRead() {
        let kept = LiveSessions()
        kept.listening(true)
        var generation = kept.generation
        kept.changed("session:\(session.uuidString.lowercased())")
        kept.keep(live, for: session, readAt: generation)
        #expect(kept.session(session) == nil)
        generation = kept.generation
        kept.forget(session: UUID())
        kept.keep(live, for: session, readAt: generation)
        #expect(kept.session(session) == nil)
    }

    @Test("Requests check their session against what is kept, and a revocation or role change committed anywhere reaches them")
    func invalidatedByNotifications() async throws {
        try await TestServer.run { server in
            let (token, userID, _) = try await server.register("ann@example.com")
            func me() async throws -> (Int, String?) {
                let response = try await server.api.get("/api/v1/auth/me", token: token)
                return (response.status, response.json["role"].string ?? response.json["error"]["code"].string)
            }
            // A revocation that notifies nobody (its trigger off) is not seen: the session was kept.
            // (Until the server's listener is up nothing is kept: then the revocation is undone, and tried again.)
            try await eventually("a revocation without its notification unseen") {
                #expect(try await me() == (200, "attendee"))
                try await server.sql(
                    "ALTER TABLE sessions DISABLE TRIGGER sessions_live_sessions",
                    "UPDATE sessions SET revoked_at = now() WHERE user_id = '\(userID)'",
                    "ALTER TABLE sessions ENABLE TRIGGER sessions_live_sessions")
                if try await me() == (200, "attendee") { return true }
                try await server.sql("UPDATE sessions SET revoked_at = NULL WHERE user_id = '\(userID)'")
                return false
            }
            // Committed as any replica commits it, a role change and then the revocation are seen within moments.
            try await server.sql(
                "UPDATE sessions SET revoked_at = NULL WHERE user_id = '\(userID)'",
                "UPDATE users SET role = 'staff' WHERE id = '\(userID)'")
            try await Self.within(.seconds(2)) { try await me() == (200, "staff") }
            try await server.sql("UPDATE sessions SET revoked_at = now() WHERE user_id = '\(userID)'")
            try await Self.within(.seconds(2)) { try await me() == (401, "token_revoked") }
        }
    }

    /// Waits up to `limit` for `condition`, which must then hold.
    static func within(_ limit: Duration, _ condition: () async throws -> Bool) async throws {
        let started = ContinuousClock.now
        var met = try await condition()
        while !met, ContinuousClock.now - started < limit {
            try await Task.sleep(for: .milliseconds(20))
            met = try await condition()
        }
        #expect(met, "not within \(limit)")
    }
}
