import Foundation

/// What was wrong with a JSON message, named by its wire path (`mutations[3].scan.gate`) —
/// one reading of `DecodingError` for the server's 4xx answers and for the push items a v2
/// server rejects one by one.
public struct DecodingProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// The body is not JSON at all (rather than JSON of the wrong shape).
    public let notJSON: Bool
    /// The wire path of the offending field ("body" for the whole message).
    public let field: String
    public let message: String

    public init(_ error: DecodingError) {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? SyncJSON.snakeCase($0.stringValue) }
                .joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
            return text.isEmpty ? "body" : text
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            (notJSON, field, message) = (true, "body", "is not valid JSON")
        case .dataCorrupted(let context):
            (notJSON, field, message) = (false, path(context.codingPath), context.debugDescription)
        case .keyNotFound(let key, let context):
            (notJSON, field, message) = (false, path(context.codingPath + [key]), "is required")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            (notJSON, field, message) = (false, path(context.codingPath), "expected \(Self.describe(type))")
        @unknown default:
            (notJSON, field, message) = (true, "body", "could not be read")
        }
    }

    public var description: String { "\(field) \(message)" }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is Date.Type: "an ISO 8601 date-time"
        case is UUID.Type: "a UUID"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
