import Foundation
import Logging
import SpotCore
import SpotTestSupport
import Testing

@testable import SpotNode

@Suite("Node database (real SQLite file)")
struct NodeDatabaseTests {
    let event = UUID()
    let node = UUID()

    func signedTicket(_ key: SigningKey) throws -> SignedTicket {
        try SignedTicket.sign(TicketClaims(ticketID: UUID(), eventID: event, ticketTypeID: UUID()), with: key)
    }

    @Test("Accepted scans survive a reopen and make a second scan already_admitted")
    func persistence() throws {
        let directory = try makeTemporaryDirectory("spot-node")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.sqlite").path
        let key = SigningKey()
        let ticket = try signedTicket(key)
        let verifier = TicketVerifier(
            trust: try TrustStore(issuerKeys: [IssuerKey(publicKey: key.publicKey)]),
            gate: GatePolicy(gate: "North", events: [EventAdmission(eventID: event)]))
        let now = Date()
        let scannedAt = HLCTimestamp(wallMilliseconds: Int64(now.timeIntervalSince1970 * 1000))

        do {
            let database = try NodeDatabase.open(path: path)
            let first = verifier.verify(ticket.text, at: now, revocations: RevocationList(), scans: try database.scanLedger())
            #expect(first.verdict == .ok)
            try database.recordScan(
                ScanRecord(scanID: UUID(), ticketID: ticket.claims.ticketID, issueVersion: 1, direction: .entry,
                           gate: "North", nodeID: node, at: scannedAt),
                verdict: first.verdict)
            // A refused scan is stored but does not count as presence.
            try database.recordScan(
                ScanRecord(scanID: UUID(), ticketID: UUID(), issueVersion: 1, direction: .entry,
                           gate: "North", nodeID: node, at: scannedAt),
                verdict: .invalidSignature)
        }

        let reopened = try NodeDatabase.open(path: path)
        #expect(try reopened.scanCount() == 2)
        let ledger = try reopened.scanLedger()
        #expect(ledger.ticketCount == 1)
        let second = verifier.verify(ticket.text, at: now, revocations: RevocationList(), scans: ledger)
        #expect(second.verdict == .alreadyAdmitted(at: scannedAt.date, gate: "North", nodeID: node))
    }

    @Test("A scan id is recorded once: a replayed insert fails and changes nothing")
    func uniqueScanID() throws {
        let directory = try makeTemporaryDirectory("spot-node")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try NodeDatabase.open(path: directory.appendingPathComponent("node.sqlite").path)
        let scan = ScanRecord(scanID: UUID(), ticketID: UUID(), issueVersion: 1, direction: .entry, gate: "A",
                              nodeID: node, at: HLCTimestamp(wallMilliseconds: 1))
        try database.recordScan(scan, verdict: .ok)
        #expect(throws: (any Error).self) { try database.recordScan(scan, verdict: .ok) }
        #expect(try database.scanCount() == 1)
    }

    @Test("Commits never checkpoint; the node's own checkpoint backfills the whole WAL, which then starts over")
    func checkpointsOffTheWritePath() async throws {
        let directory = try makeTemporaryDirectory("spot-node")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.sqlite").path
        let database = try NodeDatabase.open(path: path)
        func scans(_ count: Int) throws {
            for _ in 0..<count {
                try database.recordScan(
                    ScanRecord(scanID: UUID(), ticketID: UUID(), issueVersion: 1, direction: .entry, gate: "A",
                               nodeID: node, at: HLCTimestamp(wallMilliseconds: 1)),
                    verdict: .ok)
            }
        }
        // 600 commits write ≈2,100 frames; with SQLite's automatic checkpoint (1,000 pages) the WAL could never hold 1,500.
        try scans(600)
        let first = try await database.checkpoint()
        #expect(first.walFrames > 1_500, "the WAL kept every commit: \(first)")
        #expect(first.checkpointed == first.walFrames, "a passive checkpoint with no reader backfills everything")
        // The next commits start the WAL over instead of growing it.
        try scans(10)
        let second = try await database.checkpoint()
        #expect(second.walFrames > 0 && second.walFrames < first.walFrames / 10, "\(second) after \(first)")
        #expect(try NodeDatabase.open(path: path).scanCount() == 610)
    }

    @Test("The node's checkpoint service copies the WAL into the database file while it runs")
    func checkpointService() async throws {
        let directory = try makeTemporaryDirectory("spot-node")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.sqlite").path
        let database = try NodeDatabase.open(path: path)
        for _ in 0..<300 {
            try database.recordScan(
                ScanRecord(scanID: UUID(), ticketID: UUID(), issueVersion: 1, direction: .entry, gate: "A",
                           nodeID: node, at: HLCTimestamp(wallMilliseconds: 1)),
                verdict: .ok)
        }
        func fileSize() throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 }
        let before = try fileSize()
        let service = WALCheckpointService(database: database, interval: .milliseconds(100), logger: Logger(label: "test"))
        let grew = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            defer { group.cancelAll() }
            for _ in 0..<50 where try fileSize() <= before { try await Task.sleep(for: .milliseconds(100)) }
            return try fileSize() > before
        }
        #expect(grew, "the database file stayed at \(before) bytes: nothing was checkpointed")
    }
}
