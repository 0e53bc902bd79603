import Foundation
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

@testable import SpotNode

/// The kiosk's look back over a shift, on a real SQLite file: recent door sales with their
/// tickets and upload state, and a ticket's scans.
extension NodeReplicaTests {
    @Test("Recent door sales: newest first, each with its tickets, pending until the server answers, then uploaded or refused")
    func recentDoorSales() throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        try database.applySnapshot(snapshot(tickets: [], granted: 6), now: now)
        #expect(try database.recentDoorSales(limit: 20).isEmpty)
        let first = try database.sellAtDoor(ticketTypeID: ticketType, quantity: 1, paymentMethod: .cash, now: now)
        let second = try database.sellAtDoor(
            ticketTypeID: ticketType, quantity: 2, paymentMethod: .cardPresent, now: now.addingTimeInterval(60))
        let third = try database.sellAtDoor(
            ticketTypeID: ticketType, quantity: 3, paymentMethod: .cash, now: now.addingTimeInterval(120))
        var recent = try database.recentDoorSales(limit: 20)
        #expect(recent.map(\.id) == [third.sale.id, second.sale.id, first.sale.id])
        #expect(recent.map(\.upload) == [.pending, .pending, .pending])
        #expect(recent[1].tickets.map(\.payload).sorted() == second.sale.tickets.map(\.payload).sorted())
        #expect(recent[1].eventTitle == "Night Shift" && recent[1].ticketTypeName == "Standard")
        #expect(recent[1].amountMinor == 5000 && recent[1].paymentMethod == .cardPresent && recent[1].quantity == 2)
        #expect(try database.recentDoorSales(limit: 1).map(\.id) == [third.sale.id])

        // The server applies the first sale and refuses the second; the third is still on its way.
        let mutations = try database.pendingMutations(limit: 10)
        func mutation(of sale: SyncSale) -> Int64? {
            mutations.first { if case .sale(let value) = $0.body { value.id == sale.id } else { false } }?.mutationID
        }
        let applied = try #require(mutation(of: first.sale))
        let refused = try #require(mutation(of: second.sale))
        try database.acknowledge(PushResponse(
            protocolVersion: 2, serverTime: HLCTimestamp(wallMilliseconds: Int64(now.timeIntervalSince1970 * 1000)),
            results: [
                SyncMutationResult(mutationID: applied, status: .applied),
                SyncMutationResult(
                    mutationID: refused, status: .rejected, error: SyncErrorDetail(code: "event_not_on_sale", message: "cancelled")),
            ]), now: now)
        recent = try database.recentDoorSales(limit: 20)
        #expect(recent.map(\.upload) == [.pending, .rejected, .uploaded])
        #expect(throws: HistoryError.invalidLimit(0)) { try database.recentDoorSales(limit: 0) }
        #expect(throws: HistoryError.invalidLimit(201)) { try database.recentDoorSales(limit: 201) }
    }

    @Test("A ticket's scans: newest first, refused ones too, each saying whether this door made it")
    func ticketScans() throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        let id = UUID()
        let signed = try ticket(id)
        try database.applySnapshot(
            snapshot(tickets: [SyncTicket(id: id, eventID: event, ticketTypeID: ticketType, issueVersion: 1)]), now: now)
        #expect(try database.scans(ofTicket: id, limit: 50).isEmpty)
        _ = try database.recordScan(payload: signed.text, gate: "North", direction: .entry, now: now)
        _ = try database.recordScan(payload: signed.text, gate: "South", direction: .entry, now: now.addingTimeInterval(5))
        let scans = try database.scans(ofTicket: id, limit: 50)
        #expect(scans.map(\.verdict) == [.alreadyAdmitted, .ok])
        #expect(scans.map(\.gate) == ["South", "North"])
        #expect(scans.allSatisfy { $0.here && $0.nodeID == nodeID && $0.ticketID == id })
        #expect(scans[0].at.timeIntervalSince(scans[1].at) >= 4.9)
        #expect(try database.scans(ofTicket: id, limit: 1).count == 1)
        #expect(try database.scans(ofTicket: UUID(), limit: 50).isEmpty)
    }

    @Test("A peer's scans: recorded once, the ticket then already admitted here; the cursor never goes back; a scan of a third node refuses the page")
    func peerScans() throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        let id = UUID()
        let signed = try ticket(id)
        try database.applySnapshot(
            snapshot(tickets: [SyncTicket(id: id, eventID: event, ticketTypeID: ticketType, issueVersion: 1)]), now: now)
        let peer = UUID()
        let at = HLCTimestamp(wallMilliseconds: Int64(now.timeIntervalSince1970 * 1000) - 1000)
        let scan = SyncScan(
            id: UUID(), ticketID: id, issueVersion: 1, eventID: event, direction: .entry, gate: "North", nodeID: peer, hlc: at,
            verdict: .ok)
        let cursor = String(Int64(bitPattern: at.packed))
        let page = PeerFactsPage(nodeID: peer, nodeName: "Door B", scans: [scan], cursor: cursor, hasMore: false)
        #expect(try database.applyPeerScans(page, now: now) == 1)
        #expect(try database.applyPeerScans(page, now: now) == 0, "the same page again records nothing")
        #expect(try database.peerCursor(peer) == Int64(cursor))
        let outcome = try database.recordScan(payload: signed.text, gate: "South", direction: .entry, now: now)
        guard case .alreadyAdmitted(_, let gate, _) = outcome.result.verdict else {
            Issue.record("admitted again: \(outcome.result.verdict)")
            return
        }
        #expect(gate == "North")
        // A follower that restarts reads from the start: the cursor stays where it was.
        _ = try database.applyPeerScans(PeerFactsPage(nodeID: peer, nodeName: "Door B", scans: [], cursor: "0", hasMore: false), now: now)
        #expect(try database.peerCursor(peer) == Int64(cursor))
        var foreign = page
        foreign.scans[0].nodeID = UUID()
        #expect(throws: PeerError.invalidPage("a scan of another node")) { try database.applyPeerScans(foreign, now: now) }
        // This node's own scans, as its peers read them: after a cursor, in HLC order.
        let own = try database.ownScans(after: 0, limit: 10)
        #expect(own.scans.map(\.gate) == ["South"] && own.scans.allSatisfy { $0.nodeID == nodeID } && !own.hasMore)
        #expect(try database.ownScans(after: Int64(bitPattern: own.scans[0].hlc.packed), limit: 10).scans.isEmpty)
    }
}
