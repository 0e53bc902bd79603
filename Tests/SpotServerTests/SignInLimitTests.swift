import Foundation
import Logging
import PostgresNIO
@testable import SpotServer
import SpotTestSupport
import Testing

/// Sign-in limits count failures only — per address, per account from one address, and a
/// per-account ceiling over all addresses — on a real database, through the account service
/// the API and the web share (addresses given as the socket would give them).
@Suite("Sign-in limits")
struct SignInLimitTests {
    static let password = "correct horse battery"

    func withAccounts(_ policy: RateLimitPolicy, _ body: @Sendable (AccountService, Database) async throws -> Void) async throws {
        try await TestDatabase.shared.withDatabase { configuration in
            try await TestDatabase.withClient(configuration, logger: Logger(label: "test")) { client in
                let database = Database(client: client, maximumConnections: 6, registry: .init())
                let repository = AuthRepository(database: database, sessions: LiveSessions())
                try await body(
                    AccountService(
                        repository: repository, hasher: PasswordHasher(cost: 4), limiter: RateLimiter(database: database, policy: policy)),
                    database)
            }
        }
    }

    /// Moves every recorded attempt `seconds` into the past, as if that much time had gone by.
    func age(_ database: Database, by seconds: Double) async throws {
        try await database.query(
            "UPDATE auth_attempts SET attempted_at = attempted_at - make_interval(secs => \(seconds))", logger: Logger(label: "test"))
    }

    func register(_ accounts: AccountService, _ email: String, from address: String) async throws {
        _ = try await accounts.register(
            .init(email: email, password: Self.password, displayName: "U"), clientAddress: address, now: Date(),
            logger: Logger(label: "test"))
    }

    /// 200, 401 or 429 (with its Retry-After), as the API would answer.
    func signIn(_ accounts: AccountService, _ email: String, _ password: String, from address: String) async throws -> (Int, Int?) {
        do {
            _ = try await accounts.verify(email: email, password: password, clientAddress: address, logger: Logger(label: "test"))
            return (200, nil)
        } catch let error as DomainError {
            let answer = APIError(error)
            return (Int(answer.status.code), answer.headers[.retryAfter].flatMap(Int.init))
        } catch let error as APIError {
            return (Int(error.status.code), nil)
        }
    }

    @Test("Six people behind one office address all sign in, again and again: correct sign-ins are never counted")
    func office() async throws {
        try await withAccounts(.authentication) { accounts, _ in
            for index in 1...6 { try await register(accounts, "staff\(index)@example.com", from: "10.0.0.\(index)") }
            for _ in 1...2 {
                for index in 1...6 {
                    #expect(try await signIn(accounts, "staff\(index)@example.com", Self.password, from: "203.0.113.5").0 == 200)
                }
            }
        }
    }

    @Test("Five wrong passwords from one address limit that address, not the owner signing in from another")
    func ownerNotLockedOut() async throws {
        try await withAccounts(.authentication) { accounts, _ in
            try await register(accounts, "ann@example.com", from: "10.0.0.1")
            for _ in 1...5 { #expect(try await signIn(accounts, "ann@example.com", "wrong password!", from: "198.51.100.7").0 == 401) }
            let limited = try await signIn(accounts, "ann@example.com", Self.password, from: "198.51.100.7")
            #expect(limited.0 == 429 && (1...60).contains(limited.1 ?? 0))
            #expect(try await signIn(accounts, "ann@example.com", Self.password, from: "203.0.113.9").0 == 200)
        }
    }

    @Test("Guessing spread over many addresses hits the per-account ceiling, which lets the owner in again within the window")
    func accountCeiling() async throws {
        try await withAccounts(RateLimitPolicy(attempts: 5, window: 60, accountAttempts: 8)) { accounts, database in
            try await register(accounts, "ann@example.com", from: "10.0.0.1")
            for index in 1...8 {
                #expect(try await signIn(accounts, "ann@example.com", "wrong password!", from: "198.51.100.\(index)").0 == 401)
            }
            let ceiling = try await signIn(accounts, "ann@example.com", Self.password, from: "203.0.113.9")
            #expect(ceiling.0 == 429)
            #expect((1...60).contains(ceiling.1 ?? 0), "the owner waits at most the window")
            // Others' accounts are not affected.
            try await register(accounts, "bob@example.com", from: "10.0.0.2")
            #expect(try await signIn(accounts, "bob@example.com", Self.password, from: "198.51.100.1").0 == 200)
            try await age(database, by: Double(ceiling.1 ?? 60) + 1)
            #expect(try await signIn(accounts, "ann@example.com", Self.password, from: "203.0.113.9").0 == 200)
        }
    }

    @Test("Thirty guesses at once from one address: at most five passwords are ever checked")
    func concurrentGuesses() async throws {
        try await withAccounts(.authentication) { accounts, _ in
            try await register(accounts, "ann@example.com", from: "10.0.0.1")
            let answers = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        try await signIn(accounts, "ann@example.com", index == 29 ? Self.password : "wrong password!", from: "198.51.100.7").0
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            // 200 and 401 are the checked passwords; 429 refused before any check.
            #expect(answers.filter { [200, 401].contains($0) }.count <= 5, "\(answers.sorted())")
            #expect(answers.filter { $0 == 429 }.count >= 25, "\(answers.sorted())")
        }
    }
}
