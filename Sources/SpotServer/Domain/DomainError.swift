import SpotCore

/// A refusal by a rule of the domain — a missing record, a state that forbids the change, a
/// field that breaks a rule — thrown by repositories and services, which know nothing of HTTP.
/// The API turns it into its status and error shape in one place (``APIError/init(_:)``), the web
/// site into its pages in one place (``WebError/init(_:)``).
package struct DomainError: Error, Sendable, Equatable {
    /// What kind of refusal it is: the one thing the two mappings read.
    enum Kind: Sendable, Equatable {
        /// The request is not one this rule can read (a cursor it never handed out, say).
        case badRequest
        /// A field breaks a rule; `fields` names each.
        case invalid
        case notFound
        /// The record's state forbids it now (sold out, not held, already refunded).
        case conflict
        /// Signed in, but not allowed.
        case forbidden
        /// Not signed in, or with a credential that is not (or no longer) valid.
        case unauthenticated
        /// Too many attempts: try again after `retryAfter` seconds.
        case tooManyAttempts(retryAfter: Int)
        /// The card was declined; nothing was charged.
        case paymentDeclined
        /// The payment processor failed; nothing changed.
        case processorFailed
        /// The payment processor did not answer; retrying with the same key is safe.
        case processorTimeout
        /// What the request refers to is gone for good (a pruned feed position).
        case gone
    }

    let kind: Kind
    let code: ErrorCode
    let message: String
    let fields: [String: String]?

    init(_ kind: Kind, _ code: ErrorCode, _ message: String, fields: [String: String]? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.fields = fields
    }

    static func validation(_ fields: [String: String]) -> DomainError {
        DomainError(.invalid, .validationFailed, "Some fields are invalid.", fields: fields)
    }

    static func validation(_ field: String, _ problem: String) -> DomainError { validation([field: problem]) }

    package static func notFound(_ what: String) -> DomainError { DomainError(.notFound, .notFound, "\(what) not found.") }

    static func conflict(_ message: String, code: ErrorCode = .conflict) -> DomainError {
        DomainError(.conflict, code, message)
    }

    static func forbidden(_ message: String) -> DomainError { DomainError(.forbidden, .forbidden, message) }

    static func unauthenticated(_ message: String, code: ErrorCode = .unauthorized) -> DomainError {
        DomainError(.unauthenticated, code, message)
    }

    static let unauthenticated = DomainError(.unauthenticated, .unauthorized, "Sign in first: this needs a valid access token.")

    static func badRequest(_ message: String, code: ErrorCode = .badRequest) -> DomainError {
        DomainError(.badRequest, code, message)
    }

    static func rateLimited(retryAfter seconds: Int) -> DomainError {
        DomainError(
            .tooManyAttempts(retryAfter: seconds), .rateLimited,
            "Too many attempts: try again in \(seconds) second\(seconds == 1 ? "" : "s").")
    }

    /// The same idempotency key for another request (booking, amount, card, tickets): nothing was charged or refunded.
    static let idempotencyKeyReused = DomainError(
        .invalid, .idempotencyKeyReused,
        "This idempotency key was used for a different request (another booking, amount, card or tickets): "
            + "nothing was charged or refunded. Use a new key for a new request.")

    /// A web form's key was not issued for this booking (or not by this site): nothing happened.
    static let formExpired = DomainError(
        .invalid, .formExpired,
        "This form was not made for this booking, or has expired: nothing was charged or refunded. "
            + "Check the details and send it again.")

    /// A rejected form's problem as one sentence for the top of the form, in words
    /// (`starts at`, not `starts_at`); the message itself when no field is named.
    var formProblem: String {
        guard let fields, !fields.isEmpty else { return message }
        return "Please correct: " + fields.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            .joined(separator: "; ").replacingOccurrences(of: "_", with: " ") + "."
    }

    /// A refusal the caller can fix by changing the form (shown on the form, not as an error page).
    var isFormProblem: Bool {
        switch kind {
        case .invalid, .conflict: true
        default: false
        }
    }
}

/// Something that cannot happen unless the data or the code is broken: logged with its detail,
/// answered as a bare 500 (the detail never leaves the server).
struct InternalInconsistency: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
