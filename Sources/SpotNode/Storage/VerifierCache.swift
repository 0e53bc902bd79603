import Foundation
import Synchronization
import SpotCore

/// What the verdict function needs from the replica besides the ticket's own rows:
/// the trust store (certificate signatures checked once) and the venue's events.
/// Rebuilt only when the replica's version moves, so a scan costs one Ed25519 check.
struct VerifierContext: Sendable {
    let trust: TrustStore
    let admissions: [EventAdmission]
    let venueID: UUID

    var eventIDs: Set<UUID> { Set(admissions.map(\.eventID)) }
}

/// The last ``VerifierContext`` built, by replica version.
final class VerifierCache: Sendable {
    private let cached = Mutex<(version: Int64, context: VerifierContext)?>(nil)

    /// The last context built, whatever its version (for work that re-checks under the current one).
    var latest: VerifierContext? { cached.withLock { $0?.context } }

    func context(version: Int64, build: () throws -> VerifierContext) rethrows -> VerifierContext {
        if let hit = cached.withLock({ $0 }), hit.version == version { return hit.context }
        let context = try build()
        cached.withLock { $0 = (version, context) }
        return context
    }
}

/// The node's identity, read once: it never changes after enrollment, and rebuilding the
/// device key from its seed on every scan would cost a scalar multiplication each time.
final class IdentityCache: Sendable {
    private let cached = Mutex<NodeIdentity?>(nil)

    func identity(load: () throws -> NodeIdentity) rethrows -> NodeIdentity {
        if let hit = cached.withLock({ $0 }) { return hit }
        let identity = try load()
        cached.withLock { $0 = identity }
        return identity
    }
}
