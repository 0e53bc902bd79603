import Crypto
import Foundation
import JWTKit
import SpotCore
import Synchronization

/// Short-lived JWT access tokens (HS256). The signing secret lives in PostgreSQL
/// (`server_secrets`), so every server replica signs and verifies alike; it is never logged.
struct AccessTokens: Sendable {
    static let lifetime: TimeInterval = 15 * 60
    static let issuer = "hvflvspot"

    struct Payload: JWTPayload, Equatable {
        var sub: SubjectClaim
        /// The session (refresh-token family) the token belongs to.
        var sid: String
        var role: String
        var iat: IssuedAtClaim
        var exp: ExpirationClaim
        var iss: IssuerClaim

        /// Signature and algorithm are checked by jwt-kit; times by ``AccessTokens/verify(_:now:)``
        /// against the injected clock.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    private let keys = JWTKeyCollection()
    private let verified = VerifiedTokens()

    /// Installs the signing secret (read from the database before the server starts).
    func install(secret: Data) async {
        await keys.add(hmac: HMACKey(key: SymmetricKey(data: secret)), digestAlgorithm: .sha256)
    }

    /// A token for `userID` in `sessionID`, valid for ``lifetime`` from `now`.
    func issue(userID: UUID, role: Role, sessionID: UUID, now: Date) async throws -> String {
        try await keys.sign(
            Payload(
                sub: .init(value: userID.uuidString.lowercased()), sid: sessionID.uuidString.lowercased(),
                role: role.rawValue, iat: .init(value: now), exp: .init(value: now.addingTimeInterval(Self.lifetime)),
                iss: .init(value: Self.issuer)))
    }

    /// The verified claims, or a 401 saying why not. A token whose signature checked out once is
    /// remembered (its claims, not its validity: the expiry is checked at every use, and the
    /// session behind it is read by the caller each time), so a client's next requests skip the
    /// JSON decoding and the HMAC.
    func verify(_ token: String, now: Date) async throws -> (userID: UUID, sessionID: UUID) {
        let claims: VerifiedTokens.Claims
        if let remembered = verified.claims(of: token) {
            claims = remembered
        } else {
            let payload: Payload
            do {
                payload = try await keys.verify(token, as: Payload.self)
            } catch {
                throw DomainError.unauthenticated("The access token is invalid.", code: .tokenInvalid)
            }
            guard payload.iss.value == Self.issuer, let userID = UUID(uuidString: payload.sub.value),
                let sessionID = UUID(uuidString: payload.sid)
            else { throw DomainError.unauthenticated("The access token is invalid.", code: .tokenInvalid) }
            claims = VerifiedTokens.Claims(userID: userID, sessionID: sessionID, expiresAt: payload.exp.value)
            verified.remember(claims, of: token)
        }
        guard now < claims.expiresAt else {
            throw DomainError.unauthenticated("The access token has expired: refresh it.", code: .tokenExpired)
        }
        return (claims.userID, claims.sessionID)
    }
}

/// The claims of access tokens whose signature checked out, by the token's whole text. At most
/// ``capacity`` are kept (a token lives 15 minutes): when full, all are forgotten at once.
private final class VerifiedTokens: Sendable {
    struct Claims: Sendable {
        let userID: UUID
        let sessionID: UUID
        let expiresAt: Date
    }

    static let capacity = 50_000
    private let kept = Mutex<[String: Claims]>([:])

    func claims(of token: String) -> Claims? { kept.withLock { $0[token] } }

    func remember(_ claims: Claims, of token: String) {
        kept.withLock { kept in
            if kept.count >= Self.capacity { kept.removeAll(keepingCapacity: true) }
            kept[token] = claims
        }
    }
}

/// Opaque bearer secrets (refresh and system tokens): 32 random bytes, base64url,
/// behind a prefix saying what they are. Only their SHA-256 is stored.
enum OpaqueToken {
    static let refreshPrefix = "spot_rt_"
    static let systemPrefix = "spot_st_"
    static let webSessionPrefix = "spot_ws_"

    static func make(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return prefix + Data(bytes).base64URLText
    }

    /// The stored form: SHA-256 of the token text (bytea).
    static func hash(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }
}
