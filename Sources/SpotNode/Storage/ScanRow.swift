import Foundation
import GRDB
import SpotCore

/// A row of the `scans` table.
struct ScanRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "scans"

    var id: String
    var ticketID: String
    var issueVersion: Int64
    var direction: String
    var gate: String
    var nodeID: String
    var hlc: Int64
    var verdict: String

    enum CodingKeys: String, CodingKey {
        case id
        case ticketID = "ticket_id"
        case issueVersion = "issue_version"
        case direction, gate
        case nodeID = "node_id"
        case hlc, verdict
    }

    init(_ scan: ScanRecord, verdict: String) {
        id = scan.scanID.uuidString.lowercased()
        ticketID = scan.ticketID.uuidString.lowercased()
        issueVersion = Int64(scan.issueVersion)
        direction = scan.direction.rawValue
        gate = scan.gate
        nodeID = scan.nodeID.uuidString.lowercased()
        hlc = Int64(bitPattern: scan.at.packed)
        self.verdict = verdict
    }

    /// The core's view of the row; a row that does not decode is a corrupt database.
    func scanRecord() throws -> ScanRecord {
        guard let scanID = UUID(uuidString: id), let ticket = UUID(uuidString: ticketID),
            let node = UUID(uuidString: nodeID), let direction = ScanDirection(rawValue: direction),
            let version = UInt32(exactly: issueVersion)
        else { throw NodeDatabaseError.corruptRow(table: Self.databaseTableName, id: id) }
        return ScanRecord(
            scanID: scanID, ticketID: ticket, issueVersion: version, direction: direction, gate: gate,
            nodeID: node, at: HLCTimestamp(packed: UInt64(bitPattern: hlc)))
    }
}

/// The database holds something the node cannot interpret.
public enum NodeDatabaseError: Error, Equatable, Sendable {
    case corruptRow(table: String, id: String)
}
