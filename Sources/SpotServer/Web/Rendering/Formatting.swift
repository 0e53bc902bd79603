import Foundation

/// How the site writes money and dates.
enum Formatting {
    /// Digits after the decimal point per ISO 4217 currency (2 unless listed).
    private static let minorDigits: [String: Int] = ["JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "TND": 3]

    /// `12.50 EUR`, `Free` for zero.
    static func money(_ minor: Int64, _ currency: String) -> String {
        guard minor != 0 else { return "Free" }
        return "\(amount(minor, currency)) \(currency)"
    }

    /// `12.50` (no currency), as a form field shows it.
    static func amount(_ minor: Int64, _ currency: String) -> String {
        let digits = minorDigits[currency] ?? 2
        guard digits > 0 else { return String(minor) }
        let scale = Int64(pow(10, Double(digits)))
        let sign = minor < 0 ? "-" : ""
        let whole = abs(minor) / scale, fraction = abs(minor) % scale
        return "\(sign)\(whole).\(String(fraction).leftPadded(to: digits))"
    }

    /// Parses `12.5` / `12,50` / `12` into minor units; nil if it is not an amount.
    static func minorUnits(_ text: String, _ currency: String) -> Int64? {
        let digits = minorDigits[currency] ?? 2
        let parts = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")
            .split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int64(parts[0]), whole >= 0,
            parts[0].allSatisfy(\.isNumber)
        else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            guard parts[1].count <= digits, parts[1].allSatisfy(\.isNumber) else { return nil }
            fraction = Int64(String(parts[1]).rightPadded(to: digits)) ?? 0
        }
        let scale = Int64(pow(10, Double(digits)))
        let (product, overflow) = whole.multipliedReportingOverflow(by: scale)
        let (total, carried) = product.addingReportingOverflow(fraction)
        return overflow || carried ? nil : total
    }

    /// `Sat 12 Dec 2026, 19:30` in `timeZone` (the venue's), or UTC if unknown.
    static func dateTime(_ date: Date, timeZone: String? = nil, seconds: Bool = false) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")
        formatter.dateFormat = seconds ? "EEE d MMM yyyy, HH:mm:ss" : "EEE d MMM yyyy, HH:mm"
        return formatter.string(from: date)
    }

    /// `2026-12-12T19:30` in `timeZone`, for `<input type="datetime-local">`.
    static func localInput(_ date: Date, timeZone: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm"
        return formatter.string(from: date)
    }

    /// Reads `<input type="datetime-local">` (with or without seconds) in `timeZone`.
    static func parseLocalInput(_ text: String, timeZone: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text.trimmingCharacters(in: .whitespaces)) { return date }
        }
        return nil
    }

    /// ISO 8601 in UTC, for machine-read attributes.
    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
    fileprivate func rightPadded(to length: Int) -> String { self + String(repeating: "0", count: max(0, length - count)) }
}
