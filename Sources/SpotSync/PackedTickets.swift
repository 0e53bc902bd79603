import Foundation
import SpotCore

/// The snapshot's tickets in a dense binary form, base64 in the JSON
/// (`SyncProtocol/README.md` §5.2): a bootstrap of 100,000 tickets is one string,
/// not 100,000 JSON objects. Each record is 57 bytes, integers big-endian:
///
///     ticket id (16) | event id (16) | ticket type id (16) | issue version (u32)
///     | revoked version (u32, 0 = not revoked) | revocation reason (u8, 0 = none)
public struct PackedTickets: Codable, Sendable, Equatable {
    public static let formatName = "tickets.packed.v1"
    public static let recordLength = 57
    /// Reason codes 1…4; any other non-zero code is a reason this software does not know
    /// (it still revokes: `unrecognized`, written as 255).
    static let reasons: [RevocationReason?] = [nil, .refunded, .cancelled, .reissued, .voided]
    static let unrecognizedReasonCode: UInt8 = 255

    public var format: String
    public var count: Int
    /// The records, concatenated, in base64.
    public var data: String

    public init(_ tickets: some Collection<SyncTicket>) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(tickets.count * Self.recordLength)
        func append(_ value: UInt32) {
            bytes.append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
        }
        for ticket in tickets {
            bytes.append(contentsOf: ticket.id.bytes)
            bytes.append(contentsOf: ticket.eventID.bytes)
            bytes.append(contentsOf: ticket.ticketTypeID.bytes)
            append(ticket.issueVersion)
            let reason = ticket.revocation?.reason
            append(reason == nil ? 0 : ticket.revokedVersion ?? 0)
            bytes.append(reason == nil ? 0 : Self.reasons.firstIndex(of: reason).map(UInt8.init) ?? Self.unrecognizedReasonCode)
        }
        format = Self.formatName
        count = tickets.count
        data = Data(bytes).base64EncodedString()
    }

    /// The tickets, or a typed error naming what is wrong.
    public func decoded() throws(PackedTicketsError) -> [SyncTicket] {
        guard format == Self.formatName else { throw .unknownFormat(format) }
        guard let raw = Data(base64Encoded: data) else { throw .notBase64 }
        let (expected, overflow) = count.multipliedReportingOverflow(by: Self.recordLength)
        guard count >= 0, !overflow, raw.count == expected else {
            throw .wrongLength(expected: overflow ? .max : expected, actual: raw.count)
        }
        var tickets: [SyncTicket] = []
        tickets.reserveCapacity(count)
        // `Data.withUnsafeBytes` rethrows untyped errors: the closure returns the first problem instead.
        let problem = raw.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) -> PackedTicketsError? in
            func uint32(_ offset: Int) -> UInt32 {
                UInt32(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            }
            for index in 0..<count {
                let base = index * Self.recordLength
                let version = uint32(base + 48)
                let revoked = uint32(base + 52)
                let reasonCode = Int(buffer[base + 56])
                guard version >= 1 else { return .invalidRecord(index, "issue version 0") }
                guard (reasonCode == 0) == (revoked == 0) else {
                    return .invalidRecord(index, "revocation reason \(reasonCode) with revoked version \(revoked)")
                }
                let reason = reasonCode < Self.reasons.count ? Self.reasons[reasonCode] : .unrecognized
                tickets.append(SyncTicket(
                    id: UUID(bytesOf: buffer, at: base), eventID: UUID(bytesOf: buffer, at: base + 16),
                    ticketTypeID: UUID(bytesOf: buffer, at: base + 32), issueVersion: version,
                    revokedVersion: revoked == 0 ? nil : revoked, revokedReason: reason))
            }
            return nil
        }
        if let problem { throw problem }
        return tickets
    }
}

/// Why packed tickets cannot be read.
public enum PackedTicketsError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownFormat(String)
    case notBase64
    case wrongLength(expected: Int, actual: Int)
    case invalidRecord(Int, String)

    public var description: String {
        switch self {
        case .unknownFormat(let format): "unknown packed ticket format \"\(format)\" (expected \(PackedTickets.formatName))"
        case .notBase64: "packed tickets are not base64"
        case .wrongLength(let expected, let actual): "packed tickets hold \(actual) bytes, expected \(expected)"
        case .invalidRecord(let index, let problem): "packed ticket #\(index + 1): \(problem)"
        }
    }
}
