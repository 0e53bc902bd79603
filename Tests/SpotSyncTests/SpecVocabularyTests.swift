import Foundation
import SpotCore
import SpotSync
import Testing

/// `SyncProtocol/sync-v1.md` and `sync-v2.md` §12 name the same vocabularies and limits the
/// code defines: one rule, one place, and the specs cannot drift from it.
@Suite("The spec's vocabulary is the code's")
struct SpecVocabularyTests {
    static func spec(_ version: Int) -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("SyncProtocol/sync-v\(version).md")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }

    /// What protocol 2 added, which the v1 record does not list.
    static let addedInV2 = (
        errorCodes: [ErrorCode.unreadableMutation.rawValue, ErrorCode.invalidFactSignature.rawValue],
        limits: ["pullWaitSeconds", "factsPerRelay", "advertisedURLs", "advertisedURLLength"]
    )

    /// The rows of §12's tables: first cell's code name → the backticked values of the second cell (or the other cells).
    static func rows(_ version: Int) -> [String: [String]] {
        let spec = spec(version)
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

    @Test("Every vocabulary of §12 lists exactly the enum's values, in its order", arguments: [1, 2])
    func vocabularies(version: Int) {
        let rows = Self.rows(version)
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
            "ErrorCode (push rejections)": ErrorCode.pushRejections.map(\.rawValue)
                .filter { version >= 2 || !Self.addedInV2.errorCodes.contains($0) },
        ]
        for (name, values) in expected {
            #expect(rows[name] == values, "§12 \(name)")
        }
    }

    @Test("Every limit of §12 is the FieldLimits range", arguments: [1, 2])
    func limits(version: Int) {
        let rows = Self.rows(version)
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
            "pullWaitSeconds": bounds(FieldLimits.pullWaitSeconds),
            "factsPerRelay": bounds(FieldLimits.factsPerRelay),
            "advertisedURLs": bounds(FieldLimits.advertisedURLs),
            "advertisedURLLength": bounds(FieldLimits.advertisedURLLength),
        ].filter { version >= 2 || !Self.addedInV2.limits.contains($0.key) }
        #expect(Set(rows.keys).isSuperset(of: expected.keys))
        if version < 2 { #expect(rows["pullWaitSeconds"] == nil) }
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

/// sync-v2.md states what a third party needs, rather than deferring to the code: each gap the
/// v1 text left open has its rule in the v2 text.
@Suite("sync-v2.md is complete on its own")
struct SpecCompletenessTests {
    @Test("Each rule v1 left to the code is stated in sync-v2.md")
    func rules() {
        let spec = SpecVocabularyTests.spec(2)
        let stated = [
            "wall << 16 | counter",  // the HLC packing
            "65535, `(w + 1, 0)`",  // the counter running out
            "60,000 ms",  // the remote reading limit
            "rejected on its own",  // per-item errors
            "The **whole push is refused**",  // whole-batch errors
            "### 5.3 Removals",
            "**What a rebuild keeps.**",
            "**Unknown members.**",
            "**Size limits, per direction.**",
            "**Success statuses:**",
            "`403 forbidden`",
            "**Only accepted scans travel**",
            "**Door-sold tickets.**",
            "**Gates.**",
            "one space (0x20) at least every 2.5 s",
            "nothing for 4 s",
        ]
        for rule in stated { #expect(spec.contains(rule), "sync-v2.md states \(rule)") }
        #expect(!spec.localizedCaseInsensitiveContains("see the code"))
        #expect(!SpecVocabularyTests.spec(1).contains("HybridLogicalClock.swift"), "v1 points to the v2 clock rules, not to a file")
        for code in ErrorCode.syncRequests { #expect(spec.contains("`\(code.rawValue)`"), "\(code.rawValue) is in sync-v2.md") }
    }
}
