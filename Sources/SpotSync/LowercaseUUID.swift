import Foundation
import SpotCore

/// Encodes a UUID in lower case (RFC 9562 §4), as every HVFLVSPOT document does;
/// Foundation's `UUID` encodes upper case. Decoding accepts either case.
@propertyWrapper
public struct LowercaseUUID: Codable, Sendable, Hashable {
    public var wrappedValue: UUID

    public init(wrappedValue: UUID) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decodeUUID()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.lowercasedText)
    }
}

/// ``LowercaseUUID`` for optional values (encoded as `null` when absent).
@propertyWrapper
public struct LowercaseOptionalUUID: Codable, Sendable, Hashable {
    public var wrappedValue: UUID?

    public init(wrappedValue: UUID?) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decodeUUID()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue.lowercasedText) } else { try container.encodeNil() }
    }
}

extension SingleValueDecodingContainer {
    /// A UUID in its text form, parsed without Foundation's `sscanf` (hot in every sync message).
    func decodeUUID() throws -> UUID {
        let text = try decode(String.self)
        guard let id = UUID(text: text) else {
            throw DecodingError.dataCorruptedError(in: self, debugDescription: "must be a UUID")
        }
        return id
    }
}

extension KeyedDecodingContainer {
    /// An absent key decodes as nil, as it does for a plain optional.
    public func decode(_ type: LowercaseOptionalUUID.Type, forKey key: Key) throws -> LowercaseOptionalUUID {
        try decodeIfPresent(type, forKey: key) ?? LowercaseOptionalUUID(wrappedValue: nil)
    }
}
