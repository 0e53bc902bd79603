import Crypto
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

    @Test("A peer's facts: each checked against its key; its scans recorded once, the ticket then already admitted here; kept for relay until the peer says the server has them or the server answers; the cursor never goes back; forged or foreign facts refuse the page")
    func peerFacts() throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        let id = UUID()
        let signed = try ticket(id)
        try database.applySnapshot(
            snapshot(tickets: [SyncTicket(id: id, eventID: event, ticketTypeID: ticketType, issueVersion: 1)]), now: now)
        let peer = UUID()
        let peerKey = Curve25519.Signing.PrivateKey()
        let at = HLCTimestamp(wallMilliseconds: Int64(now.timeIntervalSince1970 * 1000) - 1000)
        let scan = SyncScan(
            id: UUID(), ticketID: id, issueVersion: 1, eventID: event, direction: .entry, gate: "North", nodeID: peer, hlc: at,
            verdict: .ok)
        func fact(_ mutationID: Int64, _ body: SyncMutation.Body, key: Curve25519.Signing.PrivateKey = peerKey) throws -> SignedFact {
            let text: Data =
                switch body {
                case .scan(let value): try SyncJSON.encoder.encode(value)
                case .sale(let value): try SyncJSON.encoder.encode(value)
                case .release(let value): try SyncJSON.encoder.encode(value)
                }
            return try SignedFact.sign(
                node: peer, mutationID: mutationID, kind: body.kind, body: String(decoding: text, as: UTF8.self), key: key)
        }
        let facts = [try fact(1, .scan(scan)), try fact(2, .release(SyncRelease(ticketTypeID: ticketType, quantity: 1)))]
        let page = PeerFactsPage(nodeID: peer, nodeName: "Door B", facts: facts, cursor: 2, hasMore: false, acknowledgedThrough: 0)
        #expect(try database.applyPeerFacts(page, key: peerKey.publicKey, now: now) == 1)
        #expect(try database.applyPeerFacts(page, key: peerKey.publicKey, now: now) == 0, "the same page again records nothing")
        #expect(try database.peerCursor(peer) == 2)
        #expect(try database.status().peers.map(\.toRelay) == [2])
        let outcome = try database.recordScan(payload: signed.text, gate: "South", direction: .entry, now: now)
        guard case .alreadyAdmitted(_, let gate, _) = outcome.result.verdict else {
            Issue.record("admitted again: \(outcome.result.verdict)")
            return
        }
        #expect(gate == "North")

        // A snapshot rebuild keeps the peer's scan the server may not have: still already admitted.
        try database.applySnapshot(
            snapshot(tickets: [SyncTicket(id: id, eventID: event, ticketTypeID: ticketType, issueVersion: 1)]), now: now)
        guard case .alreadyAdmitted = try database.recordScan(payload: signed.text, gate: "South", direction: .entry, now: now)
            .result.verdict
        else {
            Issue.record("a rebuild forgot the peer's admission")
            return
        }

        // Held for relay only once they are old enough; kept as signed.
        #expect(try database.factsToRelay(receivedBefore: now.addingTimeInterval(-1), limit: 10).isEmpty)
        let held = try database.factsToRelay(receivedBefore: now, limit: 10)
        #expect(held == facts && held.allSatisfy { $0.isSigned(by: peerKey.publicKey) })
        // The peer says the server answered its first fact: dropped. A restarted follower's cursor stays.
        let acknowledged = PeerFactsPage(nodeID: peer, nodeName: "Door B", facts: [], cursor: 0, hasMore: false, acknowledgedThrough: 1)
        _ = try database.applyPeerFacts(acknowledged, key: peerKey.publicKey, now: now)
        #expect(try database.peerCursor(peer) == 2)
        #expect(try database.factsToRelay(receivedBefore: now, limit: 10).map(\.mutationID) == [2])
        // This node relayed the second: the server's answer drops it, whatever it was.
        let answer = RelayResponse(
            protocolVersion: 2, serverTime: at, results: [RelayResult(nodeID: peer, mutationID: 2, status: .duplicate)])
        #expect(try database.relayed(answer) == 1)
        #expect(try database.factsToRelay(receivedBefore: now, limit: 10).isEmpty)

        // A fact whose body was changed, one signed by another key, and one about a third node refuse the page.
        var changed = try fact(3, .release(SyncRelease(ticketTypeID: ticketType, quantity: 2)))
        changed.body = changed.body.replacingOccurrences(of: "2", with: "3")
        var foreignScan = scan
        foreignScan.nodeID = UUID()
        for (bad, why) in [
            (changed, "fact 3 is not signed by its node"),
            (try fact(3, .scan(scan), key: .init()), "fact 3 is not signed by its node"),
            (try fact(3, .scan(foreignScan)), "fact 3: \(FactProblem.wrongNode)"),
        ] {
            let forged = PeerFactsPage(nodeID: peer, nodeName: "Door B", facts: [bad], cursor: 3, hasMore: false, acknowledgedThrough: 0)
            #expect(throws: PeerError.invalidPage(why)) { try database.applyPeerFacts(forged, key: peerKey.publicKey, now: now) }
        }
        #expect(try database.peerCursor(peer) == 2, "a refused page moves nothing")

        // This node's own facts, as its peers read them: after a cursor, by mutation id, signed by its device key.
        let own = try database.ownFacts(after: 0, limit: 10)
        #expect(own.facts.map(\.kind) == [.scan, .scan] && own.facts.allSatisfy { $0.nodeID == nodeID && $0.isSigned(by: device.publicKey) })
        #expect(own.acknowledgedThrough == own.facts[0].mutationID - 1, "its scan waits in the outbox")
        #expect(try database.ownFacts(after: own.facts[0].mutationID, limit: 10).facts.map(\.mutationID) == [own.facts[1].mutationID])
        try database.acknowledge(PushResponse(
            protocolVersion: 2, serverTime: at, results: [SyncMutationResult(mutationID: own.facts[0].mutationID, status: .applied)]),
            now: now)
        #expect(try database.ownFacts(after: 0, limit: 10).acknowledgedThrough == own.facts[0].mutationID)
    }
}
