import Foundation

/// What a user may do, broadly; ownership rules narrow it further.
public enum Role: String, Sendable, Codable, CaseIterable {
    case attendee
    case organizer
    case admin
    case staff
}

extension Role {
    /// A role read from the database: one this server does not know is refused, never defaulted.
    init(stored: String) throws {
        guard let role = Role(rawValue: stored) else { throw InternalInconsistency("a user's role '\(stored)' is unknown to this server") }
        self = role
    }
}

/// The authenticated caller of a request.
public struct Identity: Sendable, Equatable {
    public enum Credential: Sendable, Equatable {
        /// An access token of a sign-in session (a refresh-token family).
        case session(UUID)
        /// A long-lived system token for a device or integration.
        case systemToken(UUID)
    }

    public let userID: UUID
    public let role: Role
    public let credential: Credential

    /// 403 unless the caller has one of `roles`.
    func require(_ roles: Role..., to action: String) throws {
        guard roles.contains(role) else {
            throw DomainError.forbidden("Your account (\(role.rawValue)) may not \(action).")
        }
    }
}
