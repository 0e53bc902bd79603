import Foundation
import SpotSync

/// A user as the API shows it (never the password hash).
public struct User: Sendable, Codable, Equatable {
    @LowercaseUUID public var id: UUID
    public let email: String
    public let displayName: String
    public let role: Role
    public let createdAt: Date
}

/// What sign-in, registration and refresh answer with.
struct SessionTokens: Codable, Sendable {
    let user: User
    let accessToken: String
    let refreshToken: String
    let tokenType: String
    /// Seconds the access token stays valid.
    let expiresIn: Int
    @LowercaseUUID var sessionID: UUID
}

/// A system token as listed (the secret itself is shown once, at creation).
struct SystemTokenInfo: Codable, Sendable {
    @LowercaseUUID var id: UUID
    let name: String
    let createdAt: Date
    let expiresAt: Date
    let revokedAt: Date?
    let lastUsedAt: Date?
}
