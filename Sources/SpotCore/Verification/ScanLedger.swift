import Foundation

/// An accepted scan (verdict `ok`), from this node or learned from a sibling at sync.
public struct ScanRecord: Sendable, Hashable {
    public var scanID: UUID
    public var ticketID: UUID
    public var issueVersion: UInt32
    public var direction: ScanDirection
    public var gate: String
    public var nodeID: UUID
    public var at: HLCTimestamp

    public init(
        scanID: UUID, ticketID: UUID, issueVersion: UInt32, direction: ScanDirection, gate: String,
        nodeID: UUID, at: HLCTimestamp
    ) {
        self.scanID = scanID
        self.ticketID = ticketID
        self.issueVersion = issueVersion
        self.direction = direction
        self.gate = gate
        self.nodeID = nodeID
        self.at = at
    }

    /// The total order of scans across nodes: (HLC, node id, scan id) — DESIGN.md §3.
    public static func precedes(_ lhs: ScanRecord, _ rhs: ScanRecord) -> Bool {
        if lhs.at != rhs.at { return lhs.at < rhs.at }
        if lhs.nodeID != rhs.nodeID { return lhs.nodeID.bytes.lexicographicallyPrecedes(rhs.nodeID.bytes) }
        return lhs.scanID.bytes.lexicographicallyPrecedes(rhs.scanID.bytes)
    }
}

/// Where a ticket stands according to the accepted scans known so far.
public struct TicketPresence: Sendable, Hashable {
    /// The most recent accepted entry.
    public var lastEntry: ScanRecord?
    /// The most recent accepted scan in either direction.
    public var latest: ScanRecord

    /// Whether the holder is inside (the latest accepted scan is an entry).
    public var isInside: Bool { latest.direction == .entry }
}

/// Looks up a ticket's presence.
public protocol ScanHistory {
    func presence(of ticketID: UUID) -> TicketPresence?
}

/// An in-memory scan ledger; scans may arrive in any order (sibling scans come at sync).
public struct ScanLedger: ScanHistory, Sendable {
    private var byTicket: [UUID: TicketPresence] = [:]

    public init(_ scans: some Sequence<ScanRecord> = []) {
        for scan in scans { record(scan) }
    }

    /// Records an accepted scan.
    public mutating func record(_ scan: ScanRecord) {
        guard var presence = byTicket[scan.ticketID] else {
            byTicket[scan.ticketID] = TicketPresence(lastEntry: scan.direction == .entry ? scan : nil, latest: scan)
            return
        }
        if ScanRecord.precedes(presence.latest, scan) { presence.latest = scan }
        if scan.direction == .entry, presence.lastEntry.map({ ScanRecord.precedes($0, scan) }) ?? true {
            presence.lastEntry = scan
        }
        byTicket[scan.ticketID] = presence
    }

    public var ticketCount: Int { byTicket.count }

    public func presence(of ticketID: UUID) -> TicketPresence? { byTicket[ticketID] }
}
