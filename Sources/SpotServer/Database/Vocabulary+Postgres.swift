import NIOCore
import PostgresNIO
import SpotCore
import SpotSync

/// A vocabulary stored as its text value. Decoding fails closed: a value outside the vocabulary
/// is a decoding error, never a default (the tables' CHECK constraints keep such values out).
/// Spelled out because these types are also `Codable`, for which PostgresNIO offers JSON.
protocol PostgresText: PostgresCodable, RawRepresentable<String> {}

extension PostgresText {
    public static var psqlType: PostgresDataType { .text }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) throws {
        byteBuffer.writeString(rawValue)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard let value = Self(rawValue: try String(from: &buffer, type: type, format: format, context: context)) else {
            throw PostgresDecodingError.Code.failure
        }
        self = value
    }
}

extension ScanDirection: PostgresText {}
extension VerdictCode: PostgresText {}
extension ConflictKind: PostgresText {}
extension PaymentMethod: PostgresText {}
extension KioskFailover: PostgresText {}
extension RevocationReason: PostgresText {}
extension ReentryPolicy: PostgresText {}
extension SyncMutation.Kind: PostgresText {}
extension Booking.Status: PostgresText {}
