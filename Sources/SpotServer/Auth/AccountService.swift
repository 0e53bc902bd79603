import Foundation
import Logging

/// Registration and password sign-in, shared by the API and the web site: the same
/// validation, the same rate limits (per address, and per account for sign-in), the same
/// constant-work password check.
struct AccountService: Sendable {
    let repository: AuthRepository
    let hasher: PasswordHasher
    let limiter: RateLimiter

    struct Registration: Sendable {
        var email: String
        var password: String
        var displayName: String
        /// `attendee` (default) or `organizer`.
        var role: String?
        var organizerName: String?
    }

    /// Validates, hashes and creates the user with a first session (422 with every bad field).
    func register(
        _ registration: Registration, clientAddress: String, now: Date, logger: Logger
    ) async throws -> (User, sessionID: UUID, refreshToken: String) {
        try await limiter.reserve(limiter.addressLimit(clientAddress), logger: logger)
        var validator = Validator()
        let email = validator.email(registration.email)
        validator.password(registration.password)
        let displayName = validator.text(registration.displayName, "display_name", maxLength: 100)
        let role = Role(rawValue: registration.role ?? "attendee")
        validator.check(role == .attendee || role == .organizer, "role", "must be attendee or organizer")
        // Checked whenever it is sent (an attendee's is ignored, but never an invalid one).
        let givenOrganizerName = registration.organizerName.map { validator.text($0, "organizer_name", maxLength: 200) }
        let organizerName =
            role == .organizer
            ? givenOrganizerName ?? validator.text(registration.displayName, "organizer_name", maxLength: 200) : nil
        try validator.throwIfInvalid()

        let hash = try await hasher.hash(registration.password)
        let (user, sessionID, refresh) = try await repository.register(
            email: email!, passwordHash: hash, displayName: displayName!, role: role!, organizerName: organizerName,
            clientAddress: clientAddress, now: now, logger: logger)
        logger.info("user registered", metadata: ["user": "\(user.id)", "role": "\(user.role.rawValue)"])
        return (user, sessionID, refresh)
    }

    /// The user whose email and password these are, or 401 (429 after too many failed attempts).
    /// The attempt is counted before the password is checked and forgiven when it is right.
    func verify(email: String, password: String, clientAddress: String, logger: Logger) async throws -> User {
        let attempt = try await limiter.reserve(
            limiter.signInLimits(email: AuthRepository.normalize(email), clientAddress: clientAddress), logger: logger)
        let found = try await repository.credentials(email: email, logger: logger)
        // bcrypt reads only 72 bytes; registration caps passwords there, so a longer one never matches.
        let verified = try await hasher.verify(password, hash: found?.passwordHash) && password.utf8.count <= 72
        guard verified, let user = found?.0 else {
            throw DomainError.unauthenticated("Wrong email or password.", code: .invalidCredentials)
        }
        try await limiter.forgive(attempt, logger: logger)
        return user
    }
}
