import Crypto
import Foundation
import SpotCore
import Synchronization

/// Signed-in kiosk sessions, held in memory (a node restart signs everyone out), with a
/// sliding idle timeout and a lockout after repeated wrong PINs. A PIN check is counted as a
/// failure *before* it runs and forgiven when the PIN is right, and no more checks run at
/// once than wrong PINs are left before the lockout: however many sign-ins arrive together,
/// at most ``allowedFailures`` PINs are tried before the lockout starts. Time and token
/// randomness are injected so the rules can be tested without waiting.
public final class StaffSessions: Sendable {
    /// A signed-in session as the kiosk sees it.
    public struct Session: Sendable, Equatable {
        public let token: String
        public let idleTimeout: Duration
        public let expiresAt: Date
    }

    /// Why a sign-in was refused.
    public enum SignInError: Error, Equatable {
        case wrongPIN
        case noPINSet
        /// Too many wrong PINs: try again at `until`.
        case lockedOut(until: Date)
        /// As many PINs as may still be tried are being checked right now: try again in a moment.
        case busy
    }

    /// Consecutive wrong PINs allowed before the lockout starts.
    static let allowedFailures = 5
    /// The first lockout; each further wrong PIN doubles it, up to ``maximumLockout``.
    static let firstLockout: TimeInterval = 30
    static let maximumLockout: TimeInterval = 15 * 60
    /// A session ends after this long even when used constantly.
    static let maximumLifetime: TimeInterval = 12 * 3600
    static let maximumSessions = 64

    private struct Entry {
        var lastSeen: Date
        let createdAt: Date
    }

    private struct State {
        var sessions: [Data: Entry] = [:]
        var failures = 0
        var lockedUntil: Date?
        /// PIN checks running now, each already counted against the attempts left.
        var checking = 0
    }

    public let idleTimeout: Duration
    private let now: @Sendable () -> Date
    private let makeToken: @Sendable () -> String
    private let state = Mutex(State())

    public init(
        idleTimeout: Duration, now: @escaping @Sendable () -> Date = { Date() },
        makeToken: @escaping @Sendable () -> String = StaffSessions.randomToken
    ) {
        self.idleTimeout = idleTimeout
        self.now = now
        self.makeToken = makeToken
    }

    /// 32 random bytes, base64url.
    @Sendable public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64URLText
    }

    private var idleSeconds: TimeInterval { Double(idleTimeout.components.seconds) }

    private static func key(_ token: String) -> Data { Data(SHA256.hash(data: Data(token.utf8))) }

    /// Signs in when `pinMatches` says the PIN is right; `pinMatches` runs only when not locked out
    /// and while fewer checks run than wrong PINs are left.
    public func signIn(pinHash: String?, pinMatches: (String) async throws -> Bool) async throws -> Session {
        guard let pinHash else { throw SignInError.noPINSet }
        let start = now()
        try state.withLock { state in
            if let until = state.lockedUntil, until > start { throw SignInError.lockedOut(until: until) }
            // Past the allowed failures, one check at a time (each wrong one lengthens the lockout).
            guard state.checking < max(1, Self.allowedFailures - state.failures) else { throw SignInError.busy }
            state.checking += 1
        }
        let matches: Bool
        do {
            matches = try await pinMatches(pinHash)
        } catch {
            state.withLock { $0.checking -= 1 }
            throw error
        }
        let time = now()
        return try state.withLock { state in
            state.checking -= 1
            guard matches else {
                state.failures += 1
                if state.failures >= Self.allowedFailures {
                    let doublings = Double(state.failures - Self.allowedFailures)
                    let lockout = min(Self.firstLockout * pow(2, doublings), Self.maximumLockout)
                    state.lockedUntil = time.addingTimeInterval(lockout)
                }
                throw SignInError.wrongPIN
            }
            state.failures = 0
            state.lockedUntil = nil
            return open(&state, at: time)
        }
    }

    /// Opens a session for staff who proved themselves elsewhere: a staff pass from a node of
    /// the venue (`peer-v1.md` §7), checked by the caller.
    public func open() -> Session {
        let time = now()
        return state.withLock { open(&$0, at: time) }
    }

    private func open(_ state: inout State, at time: Date) -> Session {
        state.sessions = state.sessions.filter { isLive($0.value, at: time) }
        if state.sessions.count >= Self.maximumSessions,
            let oldest = state.sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen })
        {
            state.sessions[oldest.key] = nil
        }
        let token = makeToken()
        state.sessions[Self.key(token)] = Entry(lastSeen: time, createdAt: time)
        return Session(token: token, idleTimeout: idleTimeout, expiresAt: time.addingTimeInterval(idleSeconds))
    }

    private func isLive(_ entry: Entry, at time: Date) -> Bool {
        time.timeIntervalSince(entry.lastSeen) < idleSeconds && time.timeIntervalSince(entry.createdAt) < Self.maximumLifetime
    }

    /// Whether `token` is a live session; a live one's idle timer restarts (`touch`).
    public func validate(_ token: String, touch: Bool = true) -> Session? {
        let key = Self.key(token)
        let time = now()
        return state.withLock { state in
            guard let entry = state.sessions[key] else { return nil }
            guard isLive(entry, at: time) else {
                state.sessions[key] = nil
                return nil
            }
            if touch { state.sessions[key]?.lastSeen = time }
            let lastSeen = touch ? time : entry.lastSeen
            return Session(token: token, idleTimeout: idleTimeout, expiresAt: lastSeen.addingTimeInterval(idleSeconds))
        }
    }

    /// Ends the session (signing out twice is fine).
    public func signOut(_ token: String) {
        let key = Self.key(token)
        state.withLock { _ = $0.sessions.removeValue(forKey: key) }
    }
}
