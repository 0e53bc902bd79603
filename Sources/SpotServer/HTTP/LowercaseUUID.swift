import Foundation

/// Encodes a UUID in lower case (RFC 9562 §4), as every HVFLVSPOT document does;
/// Foundation's `UUID` encodes upper case. Decoding accepts either case.
@propertyWrapper
public struct LowercaseUUID: Codable, Sendable, Hashable {
    public var wrappedValue: UUID

    public init(wrappedValue: UUID) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(UUID.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.uuidString.lowercased())
    }
}

/// ``LowercaseUUID`` for optional values (encoded as `null` when absent).
@propertyWrapper
struct LowercaseOptionalUUID: Codable, Sendable, Hashable {
    var wrappedValue: UUID?

    init(wrappedValue: UUID?) { self.wrappedValue = wrappedValue }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(UUID.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue.uuidString.lowercased()) } else { try container.encodeNil() }
    }
}
