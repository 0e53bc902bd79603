import Foundation
import SpotCore
import SpotSync
import Testing

/// `SyncProtocol/sync-v1.md` §12 names the same vocabularies and limits the code defines: one
/// rule, one place, and the spec cannot drift from it.
@Suite("The spec's vocabulary is the code's")
struct SpecVocabularyTests {
    static let spec: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("SyncProtocol/sync-v1.md")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    /// The rows of §12's tables: first cell's code name → the backticked values of the second cell (or the other cells).
    static func rows() -> [String: [String]] {
        guard let section = spec.range(of: "## 12. Vocabulary and limits") else { return [:] }
        var rows: [String: [String]] = [:]
        for line in spec[section.upperBound...].split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3 else { continue }
            let name = cells[0].replacingOccurrences(of: "`", with: "")
            let values = cells[1].matches(of: /`([^`]+)`/).map { String($0.1) }
            rows[name] = values.isEmpty ? [cells[1], cells[2]] : values
        }
        return rows
    }

    @Test("Every vocabulary of §12 lists exactly the enum's values, in its order")
    func vocabularies() {
        let rows = Self.rows()
        let expected: [String: [String]] = [
            "ScanDirection": ScanDirection.wireValues,
            "VerdictCode": VerdictCode.wireValues,
            "PaymentMethod": PaymentMethod.wireValues,
            "ConflictKind": ConflictKind.wireValues,
            "RevocationReason": RevocationReason.known.map(\.rawValue),
            "ReentryPolicy": ReentryPolicy.known.map(\.rawValue),
            "SyncEventStatus": SyncEventStatus.wireValues,
            "SyncMutation.Kind": SyncMutation.Kind.wireValues,
            "SyncMutationResult.Status": SyncMutationResult.Status.wireValues,
            "ErrorCode (sync requests)": ErrorCode.syncRequests.map(\.rawValue),
            "ErrorCode (push rejections)": ErrorCode.pushRejections.map(\.rawValue),
        ]
        for (name, values) in expected {
            #expect(rows[name] == values, "§12 \(name)")
        }
    }

    @Test("Every limit of §12 is the FieldLimits range")
    func limits() {
        let rows = Self.rows()
        func bounds<T: BinaryInteger>(_ range: ClosedRange<T>) -> [String] { [String(range.lowerBound), String(range.upperBound)] }
        let expected: [String: [String]] = [
            "gateName": bounds(FieldLimits.gateName),
            "ticketsPerDoorSale": bounds(FieldLimits.ticketsPerDoorSale),
            "doorSaleAmountMinor": bounds(FieldLimits.doorSaleAmountMinor),
            "priceMinor": bounds(FieldLimits.priceMinor),
            "allotmentSeats": bounds(FieldLimits.allotmentSeats),
            "topUpSeats": bounds(FieldLimits.topUpSeats),
            "mutationID": bounds(FieldLimits.mutationID),
            "issueVersion": bounds(FieldLimits.issueVersion),
            "wallMilliseconds": bounds(FieldLimits.wallMilliseconds),
            "outboxDepth": bounds(FieldLimits.outboxDepth),
            "pullPageSize": bounds(FieldLimits.pullPageSize),
            "mutationsPerPush": bounds(FieldLimits.mutationsPerPush),
        ]
        for (name, values) in expected {
            #expect(rows[name] == values, "§12 \(name)")
        }
    }

    @Test("The verdicts of tickets.md §5 are VerdictCode's")
    func verdicts() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("SyncProtocol/tickets.md")
        let tickets = try String(contentsOf: url, encoding: .utf8)
        let table = try #require(tickets.range(of: "### Verdicts"))
        let codes = tickets[table.upperBound...].split(separator: "\n").prefix(40)
            .compactMap { $0.firstMatch(of: /^\| `([a-z_]+)` \|/).map { String($0.1) } }
        #expect(codes == VerdictCode.wireValues)
    }
}
