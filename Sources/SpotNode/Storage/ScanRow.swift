import Foundation
import GRDB
import SpotCore
import SpotSync

/// A row of the `scans` table.
struct ScanRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "scans"

    var id: String
    var ticketID: String
    var issueVersion: Int64
    var direction: ScanDirection
    var gate: String
    var nodeID: String
    var hlc: Int64
    var verdict: VerdictCode
    /// Added in migration v2 (scans of v1 have none).
    var eventID: String?

    enum CodingKeys: String, CodingKey {
        case id
        case ticketID = "ticket_id"
        case issueVersion = "issue_version"
        case direction, gate
        case nodeID = "node_id"
        case hlc, verdict
        case eventID = "event_id"
    }

    init(_ scan: SyncScan) {
        id = scan.id.text
        ticketID = scan.ticketID.text
        issueVersion = Int64(scan.issueVersion)
        direction = scan.direction
        gate = scan.gate
        nodeID = scan.nodeID.text
        hlc = Int64(bitPattern: scan.hlc.packed)
        verdict = scan.verdict
        eventID = scan.eventID.text
    }

    init(_ scan: ScanRecord, verdict: VerdictCode) {
        id = scan.scanID.text
        ticketID = scan.ticketID.text
        issueVersion = Int64(scan.issueVersion)
        direction = scan.direction
        gate = scan.gate
        nodeID = scan.nodeID.text
        hlc = Int64(bitPattern: scan.at.packed)
        self.verdict = verdict
        eventID = nil
    }

    /// The core's view of the row; a row that does not decode is a corrupt database.
    func scanRecord() throws -> ScanRecord {
        guard let scanID = UUID(text: id), let ticket = UUID(text: ticketID), let node = UUID(text: nodeID),
            let version = UInt32(exactly: issueVersion)
        else { throw NodeDatabaseError.corruptRow(table: Self.databaseTableName, id: id) }
        return ScanRecord(
            scanID: scanID, ticketID: ticket, issueVersion: version, direction: direction, gate: gate,
            nodeID: node, at: HLCTimestamp(packed: UInt64(bitPattern: hlc)))
    }
}

extension ScanRow {
    /// The row as the protocols carry it (a peer reads this node's scans so).
    func syncScan() throws -> SyncScan {
        let record = try scanRecord()
        guard let eventID, let event = UUID(text: eventID) else {
            throw NodeDatabaseError.corruptRow(table: Self.databaseTableName, id: id)
        }
        return SyncScan(
            id: record.scanID, ticketID: record.ticketID, issueVersion: record.issueVersion, eventID: event,
            direction: direction, gate: gate, nodeID: record.nodeID, hlc: record.at, verdict: verdict)
    }
}

/// Why the node's database cannot do what was asked.
public enum NodeDatabaseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The database holds something the node cannot interpret.
    case corruptRow(table: String, id: String)
    /// The node has not been enrolled yet.
    case notEnrolled
    /// The data directory already holds an enrolled node.
    case alreadyEnrolled(nodeID: UUID)

    public var description: String {
        switch self {
        case .corruptRow(let table, let id): "the node database is corrupt: row \(id) of \(table) cannot be read"
        case .notEnrolled: "this node is not enrolled yet: run 'spot node enroll --server URL --code CODE --data DIR'"
        case .alreadyEnrolled(let id): "this data directory already holds enrolled node \(id.uuidString.lowercased())"
        }
    }
}
