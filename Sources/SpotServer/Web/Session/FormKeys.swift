import Crypto
import Foundation
import SpotCore
import Synchronization

/// Keys the site issues into its forms, each bound to what it was issued for: a CSRF token to
/// one session (or to signed-out browsing), a checkout key to one booking and buyer, a refund
/// key to one booking and organizer. A key is `nonce.mac`, the MAC an HMAC-SHA256 over the
/// purpose, the binding and the nonce with a secret every replica shares (`server_secrets`),
/// so a key chosen by a client, or issued for something else, is refused.
final class FormKeys: Sendable {
    enum Purpose: String {
        case csrf
        case checkout
        case refund
        /// A waiting room's pass (``WaitingRoomPasses``).
        case waitingRoomPass
    }

    private let key = Mutex<SymmetricKey?>(nil)

    /// Installs the shared secret (read from the database before the server starts).
    func install(secret: Data) {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secret), info: Data("hvflvspot web form keys v1".utf8), outputByteCount: 32)
        key.withLock { $0 = derived }
    }

    /// The binding of a checkout or refund key: one booking, one signed-in user.
    static func binding(booking: UUID, user: UUID) -> String {
        "booking:\(booking.lowercasedText) user:\(user.lowercasedText)"
    }

    /// A new key for `purpose`, bound to `binding`.
    func issue(_ purpose: Purpose, boundTo binding: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let nonce = Data((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64URLText
        return nonce + "." + mac(purpose, binding, nonce)
    }

    /// The key's nonce when `token` was issued for `purpose` and `binding`; nil otherwise.
    func verify(_ token: String, _ purpose: Purpose, boundTo binding: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, (16...32).contains(parts[0].utf8.count) else { return nil }
        let nonce = String(parts[0])
        return Self.constantTimeEqual(String(parts[1]), mac(purpose, binding, nonce)) ? nonce : nil
    }

    private func mac(_ purpose: Purpose, _ binding: String, _ nonce: String) -> String {
        guard let key = key.withLock({ $0 }) else {
            // Installed before the server accepts requests; without it no key can verify.
            return ""
        }
        let message = Data([purpose.rawValue, binding, nonce].joined(separator: "\u{1F}").utf8)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: key)).base64URLText
    }

    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8), b = Array(rhs.utf8)
        guard a.count == b.count, !a.isEmpty else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
