import Crypto
import Foundation
import SpotCore

/// A card payment processor. Every call carries an idempotency key bound to the request it
/// protects: the same key with the same request never charges or refunds twice, however often
/// it is retried; the same key with a different request (another booking, amount, currency,
/// card or set of tickets) is refused with ``GatewayError/idempotencyKeyReused`` and changes
/// nothing — as real processors compare a retried key's parameters.
public protocol PaymentGateway: Sendable {
    /// Charges a card. Throws ``GatewayError`` when the outcome is unknown or temporary.
    func charge(_ request: ChargeRequest) async throws -> ChargeResult
    /// The outcome of an earlier charge with this key, if the gateway knows it
    /// (used to finish bookings whose checkout response was lost).
    func charge(forKey idempotencyKey: String) async throws -> ChargeResult?
    /// Refunds part or all of a charge; returns the refund's reference.
    func refund(_ request: RefundRequest) async throws -> String
}

public struct ChargeRequest: Sendable {
    public let idempotencyKey: String
    /// What the charge pays for (`booking:<id>`).
    public let reference: String
    public let amountMinor: Int64
    public let currency: String
    public let card: PaymentCard

    /// What a retry with the same key must repeat exactly.
    public var fingerprint: String {
        GatewayFingerprint.of(["charge", reference, String(amountMinor), currency, card.fingerprint])
    }
}

public enum ChargeResult: Sendable, Equatable {
    case succeeded(reference: String)
    /// A final refusal: `card_declined` or `insufficient_funds`.
    case declined(code: String)
}

public struct RefundRequest: Sendable {
    public let idempotencyKey: String
    public let chargeReference: String
    /// What is refunded (`booking:<id> tickets:<ids>`).
    public let reference: String
    public let amountMinor: Int64
    public let currency: String

    /// What a retry with the same key must repeat exactly.
    public var fingerprint: String {
        GatewayFingerprint.of(["refund", chargeReference, reference, String(amountMinor), currency])
    }
}

/// A SHA-256 over a request's parameters, to compare a retried idempotency key's request with the first.
enum GatewayFingerprint {
    static func of(_ parts: [String]) -> String {
        Data(SHA256.hash(data: Data(parts.joined(separator: "\u{1F}").utf8))).hexString
    }
}

/// The charge's outcome is unknown or the processor failed: safe to retry with the same key.
public enum GatewayError: Error, Equatable, Sendable {
    case processorError
    case timeout
    case refundExceedsCharge
    case unknownCharge
    /// The key was used before for a different request: refused, nothing charged or refunded.
    case idempotencyKeyReused
}

/// A card as the buyer typed it; only the brand and last four digits are ever stored.
public struct PaymentCard: Sendable, Equatable {
    public let number: String
    public let expiryMonth: Int
    public let expiryYear: Int
    public let cvc: String

    public var last4: String { String(number.suffix(4)) }

    /// Identifies the card without revealing it (as processors' card fingerprints do).
    public var fingerprint: String {
        GatewayFingerprint.of(["card", number, String(expiryMonth), String(expiryYear)])
    }

    public var brand: String {
        switch number.first {
        case "4": "visa"
        case "5": "mastercard"
        case "3": "amex"
        default: "card"
        }
    }

    /// Validates what the buyer typed: the number (spaces allowed, Luhn-checked), `MM/YY`
    /// expiry not in the past, a 3- or 4-digit CVC. Problems come back per field.
    static func parse(number: String, expiry: String, cvc: String, now: Date) -> Result<PaymentCard, DomainError> {
        var problems: [String: String] = [:]
        let digits = number.filter { $0 != " " && $0 != "-" }
        if !(12...19).contains(digits.count) || !digits.allSatisfy(\.isASCII) || !digits.allSatisfy(\.isNumber)
            || !Self.luhn(digits)
        {
            problems["card.number"] = "is not a valid card number"
        }
        // MM/YY or MM/YYYY: two digits for the month, two or four for the year, nothing that can overflow.
        let parts = expiry.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }
            .map { $0.utf8.count <= 4 && $0.allSatisfy({ $0.isASCII && $0.isNumber }) ? Int($0) : nil }
        var month = 0
        var year = 0
        if parts.count == 2, let m = parts[0], let y = parts[1], (1...12).contains(m) {
            month = m
            year = y < 100 ? 2000 + y : y
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = .gmt
            let current = calendar.dateComponents([.year, .month], from: now)
            if year * 12 + month < (current.year ?? 0) * 12 + (current.month ?? 0) {
                problems["card.expiry"] = "has passed"
            }
        } else {
            problems["card.expiry"] = "must be MM/YY"
        }
        if !(3...4).contains(cvc.count) || !cvc.allSatisfy(\.isNumber) || !cvc.allSatisfy(\.isASCII) {
            problems["card.cvc"] = "must be 3 or 4 digits"
        }
        guard problems.isEmpty else { return .failure(.validation(problems)) }
        return .success(PaymentCard(number: digits, expiryMonth: month, expiryYear: year, cvc: cvc))
    }

    static func luhn(_ digits: String) -> Bool {
        var sum = 0
        for (index, character) in digits.reversed().enumerated() {
            guard var digit = character.wholeNumberValue else { return false }
            if index % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }
}
