import Foundation
import SpotCore
import SpotSync

/// Collects field problems and throws them together as one 422.
struct Validator {
    private(set) var problems: [String: String] = [:]

    mutating func check(_ condition: Bool, _ field: String, _ problem: String) {
        if !condition, problems[field] == nil { problems[field] = problem }
    }

    /// Trims `value` and checks its length; returns the trimmed text.
    mutating func text(_ value: String?, _ field: String, required: Bool = true, maxLength: Int) -> String? {
        guard let value else {
            if required { check(false, field, "is required") }
            return nil
        }
        let trimmed = value.trimmingWhitespace(newlines: true)
        if required { check(!trimmed.isEmpty, field, "must not be empty") }
        check(trimmed.count <= maxLength, field, "must be at most \(maxLength) characters")
        return trimmed
    }

    /// An integer from a query string: absent is `fallback`; otherwise it must be a whole number
    /// inside `range` (so nothing computed from it can overflow).
    mutating func integer<T: FixedWidthInteger>(
        _ text: Substring?, _ field: String, in range: ClosedRange<T>, default fallback: T? = nil
    ) -> T? {
        guard let text else { return fallback }
        guard let value = T(text), range.contains(value) else {
            check(false, field, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return fallback
        }
        return value
    }

    /// A UUID from a query string: absent is nil; otherwise it must read as one.
    mutating func uuid(_ text: Substring?, _ field: String) -> UUID? {
        guard let text else { return nil }
        let value = UUID(uuidString: String(text))
        check(value != nil, field, "must be a UUID")
        return value
    }

    /// `true` or `false` from a query string: absent is nil.
    mutating func boolean(_ text: Substring?, _ field: String) -> Bool? {
        guard let text else { return nil }
        check(text == "true" || text == "false", field, "must be true or false")
        return text == "true" ? true : text == "false" ? false : nil
    }

    /// An RFC 3339 date-time from a query string: absent is nil.
    mutating func dateTime(_ text: Substring?, _ field: String) -> Date? {
        guard let text else { return nil }
        let value = SyncJSON.parseDate(String(text))
        check(value != nil, field, "must be an RFC 3339 date-time such as 2026-12-31T20:00:00Z")
        return value
    }

    /// A value of `V` from a query string: absent is nil; a value outside the vocabulary is refused.
    mutating func vocabulary<V: Vocabulary>(_ text: Substring?, _ field: String, _ type: V.Type) -> V? {
        guard let text else { return nil }
        let value = V(rawValue: String(text))
        check(value != nil, field, "must be \(V.sentenceList)")
        return value
    }

    mutating func email(_ value: String?, _ field: String = "email") -> String? {
        guard let email = text(value, field, maxLength: 254) else { return nil }
        // By code point: a character such as an emoji modifier may join the `@` into one grapheme.
        let parts = email.unicodeScalars.split(separator: "@", omittingEmptySubsequences: false)
        check(
            parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
                && !email.unicodeScalars.contains(where: \.properties.isWhitespace),
            field, "must be an email address")
        return email
    }

    /// A new password: 10 characters at least, 72 bytes at most (all bcrypt reads).
    mutating func password(_ value: String, _ field: String = "password") {
        check(value.utf8.count >= 10, field, "must be at least 10 characters")
        check(value.utf8.count <= 72, field, "must be at most 72 bytes")
    }

    func throwIfInvalid() throws {
        if !problems.isEmpty { throw DomainError.validation(problems) }
    }
}
