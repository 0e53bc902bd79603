import HummingbirdBcrypt
import NIOPosix

/// bcrypt password hashing, off the cooperative thread pool (it is slow on purpose).
public struct PasswordHasher: Sendable {
    /// log2 of the bcrypt rounds: 12 in production (~0.25 s on one core); tests may lower it.
    public let cost: UInt8

    /// A hash of the same cost to compare against when the account does not exist,
    /// so an unknown email takes as long to refuse as a wrong password.
    private let decoy: String

    public init(cost: UInt8 = 12) {
        precondition((4...31).contains(cost), "bcrypt cost must be 4...31")
        self.cost = cost
        decoy = Bcrypt.hash("not the password of any account", cost: cost)
    }

    package func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String?) async throws -> Bool {
        let stored = hash ?? decoy
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: stored) }
        return matches && hash != nil
    }
}
