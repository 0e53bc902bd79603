import Foundation
import Synchronization
import SpotTestSupport
import Testing

@testable import SpotNode

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0.addTimeInterval(seconds) } }
}

@Suite("Staff sign-in: PIN and sessions")
struct StaffSessionsTests {
    let clock = ManualClock()

    func sessions(idle: Int = 60) -> StaffSessions {
        let clock = self.clock
        return StaffSessions(idleTimeout: .seconds(idle), now: { clock.now })
    }

    /// Signs in with a PIN check that answers `right`.
    func signIn(_ sessions: StaffSessions, right: Bool, hash: String? = "h") async throws -> StaffSessions.Session {
        try await sessions.signIn(pinHash: hash) { _ in right }
    }

    @Test("A right PIN opens a session whose idle timer restarts with each use; idle too long, it ends")
    func slidingIdleTimeout() async throws {
        let sessions = sessions(idle: 60)
        let session = try await signIn(sessions, right: true)
        #expect(session.expiresAt == clock.now.addingTimeInterval(60))
        clock.advance(50)
        #expect(sessions.validate(session.token) != nil)
        clock.advance(50)  // 100 s after sign-in, 50 s after last use
        #expect(sessions.validate(session.token)?.expiresAt == clock.now.addingTimeInterval(60))
        clock.advance(59)
        #expect(sessions.validate(session.token, touch: false) != nil)
        clock.advance(2)
        #expect(sessions.validate(session.token) == nil)
        #expect(sessions.validate("not a token") == nil)
    }

    @Test("Even a session in constant use ends after 12 hours")
    func maximumLifetime() async throws {
        let sessions = sessions(idle: 7200)
        let session = try await signIn(sessions, right: true)
        for _ in 0..<6 {
            clock.advance(7000)
            #expect(sessions.validate(session.token) != nil)
        }
        clock.advance(1300)  // 12 h 1 min 40 s after sign-in, used 22 min ago
        #expect(sessions.validate(session.token) == nil)
    }

    @Test("Signing out ends only that session")
    func signOut() async throws {
        let sessions = sessions()
        let first = try await signIn(sessions, right: true)
        let second = try await signIn(sessions, right: true)
        #expect(first.token != second.token)
        sessions.signOut(first.token)
        sessions.signOut(first.token)
        #expect(sessions.validate(first.token) == nil)
        #expect(sessions.validate(second.token) != nil)
    }

    @Test("Five wrong PINs lock sign-in for 30 s, doubling with each further one; a right PIN resets the count")
    func lockout() async throws {
        let sessions = sessions()
        for _ in 0..<5 {
            await #expect(throws: StaffSessions.SignInError.wrongPIN) { try await signIn(sessions, right: false) }
        }
        // Locked: even the right PIN is not checked.
        let checked = Mutex(false)
        await #expect(throws: StaffSessions.SignInError.lockedOut(until: clock.now.addingTimeInterval(30))) {
            try await sessions.signIn(pinHash: "h") { _ in checked.withLock { $0 = true }; return true }
        }
        #expect(!checked.withLock { $0 })
        clock.advance(31)
        await #expect(throws: StaffSessions.SignInError.wrongPIN) { try await signIn(sessions, right: false) }
        await #expect(throws: StaffSessions.SignInError.lockedOut(until: clock.now.addingTimeInterval(60))) {
            try await signIn(sessions, right: true)
        }
        clock.advance(61)
        _ = try await signIn(sessions, right: true)
        // The count starts again from zero.
        for _ in 0..<4 {
            await #expect(throws: StaffSessions.SignInError.wrongPIN) { try await signIn(sessions, right: false) }
        }
        _ = try await signIn(sessions, right: true)
    }

    @Test("Without a PIN nobody can sign in")
    func noPIN() async throws {
        await #expect(throws: StaffSessions.SignInError.noPINSet) { try await signIn(sessions(), right: true, hash: nil) }
    }

    @Test("PINs are 4 to 12 digits, stored as a bcrypt hash that matches only the same PIN; the hash survives a reopen")
    func pinHash() async throws {
        for bad in ["123", "1234567890123", "12a4", " 1234", "١٢٣٤", ""] {
            #expect(throws: StaffPIN.Invalid.format) { try StaffPIN.hash(bad) }
        }
        #expect(StaffPIN.isValid(StaffPIN.random()) && StaffPIN.random().count == 6)
        let directory = try makeTemporaryDirectory("spot-pin")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.sqlite").path
        let hash = try StaffPIN.hash("482913")
        #expect(!hash.contains("482913"))
        try NodeDatabase.open(path: path).setStaffPIN(hash: hash, now: Date())
        let stored = try #require(try NodeDatabase.open(path: path).staffPINHash())
        #expect(try await StaffPIN.matches("482913", hash: stored))
        #expect(try await !StaffPIN.matches("482914", hash: stored))
        #expect(try await !StaffPIN.matches("4829130", hash: stored))
        try NodeDatabase.open(path: path).setStaffPIN(hash: try StaffPIN.hash("1111"), now: Date())
        #expect(try await !StaffPIN.matches("482913", hash: try #require(try NodeDatabase.open(path: path).staffPINHash())))
    }

    @Test("61 sign-ins at once, 60 wrong and 1 right: at most five PINs are checked before the lockout, whatever the order")
    func simultaneousGuesses() async throws {
        let sessions = sessions()
        let checks = Checks()
        // Each PIN check takes long enough for every other sign-in to arrive meanwhile, as bcrypt's work does.
        let outcomes = await withTaskGroup(of: String.self) { group in
            for index in 0..<61 {
                group.addTask {
                    do {
                        _ = try await sessions.signIn(pinHash: "h") { _ in
                            checks.count()
                            try await Task.sleep(for: .milliseconds(500))
                            return index == 60
                        }
                        return "in"
                    } catch let error as StaffSessions.SignInError {
                        return "\(error)"
                    } catch {
                        return "other"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(checks.total <= StaffSessions.allowedFailures)
        #expect(outcomes.filter { $0 == "busy" }.count >= 61 - StaffSessions.allowedFailures, "\(outcomes)")
        // The right PIN got in only if it was among the checked ones; otherwise the node is locked now.
        if !outcomes.contains("in") {
            await #expect(throws: StaffSessions.SignInError.self) { try await signIn(sessions, right: true) }
        }
    }
}

/// PIN checks that ran.
final class Checks: Sendable {
    private let value = Mutex(0)
    func count() { value.withLock { $0 += 1 } }
    var total: Int { value.withLock { $0 } }
}
