import Foundation

/// A card payment processor. Every call carries an idempotency key: the same key never
/// charges or refunds twice, however often it is retried.
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
    public let amountMinor: Int64
    public let currency: String
    public let card: PaymentCard
}

public enum ChargeResult: Sendable, Equatable {
    case succeeded(reference: String)
    /// A final refusal: `card_declined` or `insufficient_funds`.
    case declined(code: String)
}

public struct RefundRequest: Sendable {
    public let idempotencyKey: String
    public let chargeReference: String
    public let amountMinor: Int64
    public let currency: String
}

/// The charge's outcome is unknown or the processor failed: safe to retry with the same key.
public enum GatewayError: Error, Equatable, Sendable {
    case processorError
    case timeout
    case refundExceedsCharge
    case unknownCharge
}

/// A card as the buyer typed it; only the brand and last four digits are ever stored.
public struct PaymentCard: Sendable, Equatable {
    public let number: String
    public let expiryMonth: Int
    public let expiryYear: Int
    public let cvc: String

    public var last4: String { String(number.suffix(4)) }

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
    static func parse(number: String, expiry: String, cvc: String, now: Date) -> Result<PaymentCard, APIError> {
        var problems: [String: String] = [:]
        let digits = number.filter { $0 != " " && $0 != "-" }
        if !(12...19).contains(digits.count) || !digits.allSatisfy(\.isASCII) || !digits.allSatisfy(\.isNumber)
            || !Self.luhn(digits)
        {
            problems["card.number"] = "is not a valid card number"
        }
        let parts = expiry.split(separator: "/").map { Int($0.trimmingCharacters(in: .whitespaces)) }
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
