import Foundation
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

@testable import SpotNode

/// The node's replica, offline verdicts, door sales and outbox on a real SQLite file,
/// fed with protocol messages built here (no server).
@Suite("Node replica, offline scans and door sales")
struct NodeReplicaTests {
    let issuer = SigningKey()
    let device = SigningKey()
    let nodeID = UUID()
    let venueID = UUID()
    let event = UUID()
    let ticketType = UUID()
    let now = Date()

    func database() throws -> (NodeDatabase, URL) {
        let directory = try makeTemporaryDirectory("spot-node-replica")
        let database = try NodeDatabase.open(path: directory.appendingPathComponent("node.sqlite").path)
        try database.storeEnrollment(
            EnrollResponse(
                protocolVersion: 1,
                node: SyncNodeInfo(id: nodeID, name: "Door A", venueID: venueID, venueName: "Hall", organizerID: UUID()),
                credential: SyncCredential(token: "spot_nt_test", expiresAt: now.addingTimeInterval(86_400))),
            serverURL: "http://127.0.0.1:1", deviceKey: device, now: now)
        return (database, directory)
    }

    func ticket(_ id: UUID = UUID(), version: UInt32 = 1) throws -> SignedTicket {
        try SignedTicket.sign(TicketClaims(ticketID: id, eventID: event, ticketTypeID: ticketType, issueVersion: version), with: issuer)
    }

    func snapshot(tickets: [SyncTicket], reentry: ReentryPolicy = .singleEntry, granted: Int = 3) throws -> Snapshot {
        let certificate = try DeviceCertificate.issue(
            .init(devicePublicKey: device.publicKey, nodeID: nodeID, venueID: venueID, eventIDs: [event],
                  issuedAt: now.addingTimeInterval(-60), notAfter: now.addingTimeInterval(86_400)),
            by: issuer)
        return Snapshot(
            protocolVersion: 1, cursor: "10.0", serverTime: HLCTimestamp(wallMilliseconds: Int64(now.timeIntervalSince1970 * 1000)),
            node: SyncNodeInfo(id: nodeID, name: "Door A", venueID: venueID, venueName: "Hall", organizerID: UUID()),
            events: [SyncEvent(
                id: event, venueID: venueID, title: "Night Shift", startsAt: now.addingTimeInterval(-3600),
                endsAt: now.addingTimeInterval(3600), status: .published, reentryPolicy: reentry)],
            ticketTypes: [SyncTicketType(id: ticketType, eventID: event, name: "Standard", priceMinor: 2500, currency: "EUR")],
            tickets: PackedTickets(tickets), scans: [], conflicts: [],
            trust: TrustBundle(issuerKeys: [IssuerKey(publicKey: issuer.publicKey)], certificates: [certificate]),
            allotments: [SyncAllotment(ticketTypeID: ticketType, eventID: event, granted: granted, sold: 0)],
            lastMutationID: 0, credential: nil)
    }

    @Test("Offline verdicts: ok, already admitted at this node with when and where, revoked, forged; each scan queued once")
    func verdicts() throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = try ticket()
        let refunded = try ticket()
        try database.applySnapshot(snapshot(tickets: [
            SyncTicket(id: good.claims.ticketID, eventID: event, ticketTypeID: ticketType, issueVersion: 1),
            SyncTicket(id: refunded.claims.ticketID, eventID: event, ticketTypeID: ticketType, issueVersion: 1,
                       revokedVersion: 1, revokedReason: .refunded),
        ]), now: now)
        #expect(try database.recordScan(payload: good.text, gate: "North", direction: .entry, now: now).result.verdict == .ok)
        let second = try database.recordScan(payload: good.text, gate: "South", direction: .entry, now: now.addingTimeInterval(5))
        guard case .alreadyAdmitted(_, let gate, let node) = second.result.verdict else {
            Issue.record("expected already_admitted, got \(second.result.verdict)")
            return
        }
        #expect(gate == "North")
        #expect(node == nodeID)
        #expect(try database.recordScan(payload: refunded.text, gate: "North", direction: .entry, now: now).result.verdict
            == .revoked(.refunded))
        let forged = try SignedTicket.sign(good.claims, with: SigningKey())
        #expect(try database.recordScan(payload: forged.text, gate: "North", direction: .entry, now: now).result.verdict.code
            == .unknownKey)
        #expect(try database.recordScan(payload: "garbage", gate: "North", direction: .entry, now: now).scan == nil)
        // Decodable scans of the venue's event are queued (refused ones too, for statistics); garbage is not.
        let queued = try database.pendingMutations(limit: 10)
        #expect(queued.count == 4)
        #expect(queued.map(\.mutationID) == queued.map(\.mutationID).sorted())
        #expect(try database.status().outboxDepth == 4)
    }

    @Test("Re-entry after an exit when the event allows it; never when it does not")
    func reentry() throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = try ticket()
        try database.applySnapshot(snapshot(
            tickets: [SyncTicket(id: good.claims.ticketID, eventID: event, ticketTypeID: ticketType, issueVersion: 1)],
            reentry: .reentryAfterExit), now: now)
        #expect(try database.recordScan(payload: good.text, gate: "A", direction: .exit, now: now).result.verdict == .notInside)
        #expect(try database.recordScan(payload: good.text, gate: "A", direction: .entry, now: now).result.verdict == .ok)
        #expect(try database.recordScan(payload: good.text, gate: "A", direction: .entry, now: now).result.verdict.code
            == .alreadyAdmitted)
        #expect(try database.recordScan(payload: good.text, gate: "A", direction: .exit, now: now).result.verdict == .ok)
        #expect(try database.recordScan(payload: good.text, gate: "B", direction: .entry, now: now).result.verdict == .ok)
    }

    @Test("Door sales: signed by the device key, valid at the door, within the allotment; beyond it nothing is written")
    func doorSales() throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        try database.applySnapshot(snapshot(tickets: [], granted: 3), now: now)
        let sale = try database.sellAtDoor(ticketTypeID: ticketType, quantity: 2, paymentMethod: .cash, now: now)
        #expect(sale.sale.tickets.count == 2)
        #expect(sale.sale.amountMinor == 5000)
        for ticket in sale.sale.tickets {
            let signed = try SignedTicket(text: ticket.payload)
            #expect(signed.keyID == device.keyID)
            #expect(try database.recordScan(payload: ticket.payload, gate: "A", direction: .entry, now: now).result.verdict == .ok)
        }
        #expect(throws: DoorSaleError.exceedsAllotment(remaining: 1)) {
            try database.sellAtDoor(ticketTypeID: ticketType, quantity: 2, paymentMethod: .cash, now: now)
        }
        // Releasing the last seat leaves nothing to sell, even before the server hears of it.
        try database.releaseSeats(ticketTypeID: ticketType, quantity: 1, now: now)
        #expect(throws: DoorSaleError.exceedsAllotment(remaining: 0)) {
            try database.sellAtDoor(ticketTypeID: ticketType, quantity: 1, paymentMethod: .cardPresent, now: now)
        }
        let status = try database.status()
        #expect(status.doorSales == 1)
        #expect(status.allotments.map(\.remaining) == [0])
        #expect(try database.pendingMutations(limit: 10).map(\.kind) == [.sale, .scan, .scan, .release])
    }

    @Test("A page is applied with its cursor, or not at all when another sync moved the cursor first")
    func pages() throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        let initial = try snapshot(tickets: [])
        try database.applySnapshot(initial, now: now)
        let renamed = SyncEvent(
            id: event, venueID: venueID, title: "Renamed", startsAt: now, endsAt: now.addingTimeInterval(60), status: .cancelled,
            reentryPolicy: .singleEntry)
        let page = PullPage(
            protocolVersion: 1, cursor: "11.4", hasMore: false, serverTime: initial.serverTime, changes: [.event(renamed)],
            trust: initial.trust, allotments: initial.allotments, lastMutationID: 0, credential: nil)
        #expect(try database.applyPage(page, expectedCursor: "10.0", now: now).applied)
        #expect(try database.applyPage(page, expectedCursor: "10.0", now: now).applied == false)
        let good = try ticket()
        #expect(try database.recordScan(payload: good.text, gate: "A", direction: .entry, now: now).result.verdict
            == .eventCancelled)
        // An event that leaves the venue leaves the replica, with its types, tickets and others' scans; own scans stay.
        let ownScans = try database.scanCount()
        let other = SyncScan(
            id: UUID(), ticketID: UUID(), issueVersion: 1, eventID: event, direction: .entry, gate: "B", nodeID: UUID(),
            hlc: initial.serverTime, verdict: .ok)
        let ticketRow = SyncTicket(id: UUID(), eventID: event, ticketTypeID: ticketType, issueVersion: 1)
        try database.applyPage(PullPage(
            protocolVersion: 1, cursor: "11.9", hasMore: false, serverTime: initial.serverTime,
            changes: [.scan(other), .ticket(ticketRow)], trust: initial.trust, allotments: initial.allotments, lastMutationID: 0,
            credential: nil), expectedCursor: "11.4", now: now)
        #expect(try database.scanCount() == ownScans + 1)
        #expect(try database.status().tickets == 1)
        var moved = renamed
        moved.venueID = UUID()
        let away = PullPage(
            protocolVersion: 1, cursor: "12.0", hasMore: false, serverTime: initial.serverTime, changes: [.event(moved)],
            trust: initial.trust, allotments: [], lastMutationID: 0, credential: nil)
        try database.applyPage(away, expectedCursor: "11.9", now: now)
        #expect(try database.status().events == 0)
        #expect(try database.status().tickets == 0)
        #expect(try database.scanCount() == ownScans, "the node's own scan stays, to be pushed")
        #expect(try database.recordScan(payload: good.text, gate: "A", direction: .entry, now: now).result.verdict.code == .wrongEvent)
    }

    @Test("A page that changes only the trust (a new peer's certificate, a rotated issuer key) is in the very next verdict and peer check")
    func trustOnlyPage() throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        let initial = try snapshot(tickets: [])
        try database.applySnapshot(initial, now: now)
        // The verdict's trust is cached by the first scan.
        let rotated = SigningKey()
        let signed = try SignedTicket.sign(TicketClaims(ticketID: UUID(), eventID: event, ticketTypeID: ticketType), with: rotated)
        #expect(try database.recordScan(payload: signed.text, gate: "A", direction: .entry, now: now).result.verdict.code == .unknownKey)
        let peer = UUID(), peerKey = SigningKey()
        #expect(try database.peerKey(peer, now: now) == nil)
        // The server rotates the issuer key and certifies a peer: no change in the feed.
        let peerCertificate = try DeviceCertificate.issue(
            .init(devicePublicKey: peerKey.publicKey, nodeID: peer, venueID: venueID, eventIDs: [event],
                  issuedAt: now.addingTimeInterval(-60), notAfter: now.addingTimeInterval(86_400)),
            by: issuer)
        let ownCertificate = try #require(try initial.trust.trustStore().certificates.first)
        let trust = TrustBundle(
            issuerKeys: [IssuerKey(publicKey: issuer.publicKey), IssuerKey(publicKey: rotated.publicKey)],
            certificates: [ownCertificate, peerCertificate])
        try database.applyPage(PullPage(
            protocolVersion: 2, cursor: "10.0", hasMore: false, serverTime: initial.serverTime, changes: [], trust: trust,
            allotments: initial.allotments, lastMutationID: 0, credential: nil), expectedCursor: "10.0", now: now)
        #expect(try database.recordScan(payload: signed.text, gate: "A", direction: .entry, now: now).result.verdict == .ok)
        #expect(try database.peerKey(peer, now: now)?.rawRepresentation == peerKey.publicKey.rawRepresentation)
    }

    @Test("The venue's kiosk failover: offer until the server says, then what it said; a value this build does not know is refused")
    func kioskFailoverSetting() throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        try database.applySnapshot(try snapshot(tickets: []), now: now)
        #expect(try database.status(now: now).kioskFailover == .offer)
        try database.setVenueKioskFailover(.switch)
        #expect(try database.status(now: now).kioskFailover == .switch)
        try database.writer.write { db in try db.execute(sql: "UPDATE sync_state SET venue_kiosk_failover = 'sometimes'") }
        #expect(throws: (any Error).self) { try database.status(now: now) }
    }
}
