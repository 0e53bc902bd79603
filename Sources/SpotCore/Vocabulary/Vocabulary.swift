import Foundation

/// A closed set of wire values shared by the server, the node and the spec
/// (`SyncProtocol/sync-v1.md` §12). Decoding fails closed: a value outside the set is an
/// error naming the set, never a default.
public protocol Vocabulary: RawRepresentable<String>, CaseIterable, Codable, Sendable, Hashable, CustomStringConvertible {
    /// What the value is, for error messages (`payment_method`, say).
    static var vocabularyName: String { get }
}

extension Vocabulary {
    /// The wire value (so interpolation never prints a Swift case name).
    public var description: String { rawValue }

    /// Every value, as on the wire, in declaration order.
    public static var wireValues: [String] { allCases.map(\.rawValue) }

    /// `"a", "b" or "c"`: the values for a sentence.
    public static var sentenceList: String {
        let quoted = wireValues.map { "\"\($0)\"" }
        guard quoted.count > 1 else { return quoted.first ?? "" }
        return quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
    }

    /// The value named `text`, or an error naming the values allowed.
    public static func parse(_ text: String) throws(VocabularyError) -> Self {
        guard let value = Self(rawValue: text) else {
            throw VocabularyError(vocabulary: vocabularyName, value: text, allowed: wireValues)
        }
        return value
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "must be \(Self.sentenceList), not \"\(text.prefix(64))\"")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A value outside its vocabulary.
public struct VocabularyError: Error, Equatable, Sendable, CustomStringConvertible {
    public let vocabulary: String
    public let value: String
    public let allowed: [String]

    public var description: String {
        "unknown \(vocabulary) \"\(value.prefix(64))\": expected \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))"
    }
}

/// A vocabulary whose unknown values must still be acted on, safely: a value this software
/// does not know (sent by a newer server) decodes to `unrecognized`, which every reader treats
/// as the most restrictive value — an unknown revocation reason still revokes, an unknown
/// re-entry policy admits no one. Inputs that set a value (an organizer's form) accept only
/// the ``known`` values.
public protocol RestrictiveVocabulary: RawRepresentable<String>, CaseIterable, Codable, Sendable, Hashable,
    CustomStringConvertible
{
    static var unrecognized: Self { get }
    static var vocabularyName: String { get }
}

extension RestrictiveVocabulary {
    /// The wire value (so interpolation never prints a Swift case name).
    public var description: String { rawValue }

    /// The values a writer may record: every case but `unrecognized`.
    public static var known: [Self] { allCases.filter { $0 != unrecognized } }

    /// The value named `text`, or `unrecognized`.
    public init(wireValue text: String) {
        self = Self(rawValue: text) ?? Self.unrecognized
    }

    /// One of the ``known`` values, or an error naming them (for inputs that set a value).
    public static func parseKnown(_ text: String) throws(VocabularyError) -> Self {
        guard let value = Self(rawValue: text), value != unrecognized else {
            throw VocabularyError(vocabulary: vocabularyName, value: text, allowed: known.map(\.rawValue))
        }
        return value
    }

    public init(from decoder: any Decoder) throws {
        self.init(wireValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
