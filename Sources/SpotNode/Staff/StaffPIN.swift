import HummingbirdBcrypt
import NIOPosix

/// The per-node PIN door staff sign in with: 4 to 12 digits, stored only as a bcrypt hash.
public enum StaffPIN {
    /// bcrypt cost: sign-ins are rare, and the lockout in ``StaffSessions`` bounds guessing.
    static let cost: UInt8 = 10

    /// Why a PIN cannot be used.
    public enum Invalid: Error, Equatable, CustomStringConvertible {
        case format

        public var description: String { "the staff PIN must be 4 to 12 digits" }
    }

    /// Checks the PIN's shape and hashes it (slow on purpose: call off the request path).
    public static func hash(_ pin: String) throws(Invalid) -> String {
        guard isValid(pin) else { throw .format }
        return Bcrypt.hash(pin, cost: cost)
    }

    /// A random 6-digit PIN for a freshly enrolled node.
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(format: "%06d", Int.random(in: 0..<1_000_000, using: &generator))
    }

    /// Whether `pin` has the shape of a staff PIN.
    public static func isValid(_ pin: String) -> Bool {
        (4...12).contains(pin.utf8.count) && pin.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Whether `pin` matches `hash`, computed on the NIO thread pool.
    static func matches(_ pin: String, hash: String) async throws -> Bool {
        guard isValid(pin) else { return false }
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(pin, hash: hash) }
    }
}
