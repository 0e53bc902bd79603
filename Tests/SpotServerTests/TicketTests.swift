import Foundation
import Logging
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

@testable import SpotServer

@Suite("Tickets: issuance, wallet, QR, re-issue, keys, check-in")
struct TicketTests {
    /// A verifier that trusts the organizer's published trust bundle and admits `event`.
    static func verifier(_ server: TestServer, organizer: String, event: String) async throws -> TicketVerifier {
        let bundle = try await server.api.get("/api/v1/organizers/\(organizer)/trust")
        #expect(bundle.status == 200)
        let trust = try TrustBundle.decode(bundle.body).trustStore()
        return TicketVerifier(
            trust: trust, gate: GatePolicy(gate: "test", events: [EventAdmission(eventID: UUID(uuidString: event)!)]))
    }

    @Test("Issued tickets verify offline with the published key ring; the wallet serves QR codes that decode")
    func issuance() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let booking = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 2)
            #expect(booking["tickets"].array.count == 2)

            let wallet = try await server.api.get("/api/v1/wallet", token: buyer)
            let tickets = wallet.json["items"].array
            #expect(tickets.count == 2)
            let verifier = try await Self.verifier(server, organizer: sale.organizer, event: sale.event)
            for ticket in tickets {
                let payload = try #require(ticket["payload"].string)
                let result = verifier.verify(payload, at: Date(), revocations: RevocationList(), scans: ScanLedger())
                #expect(result.verdict == .ok)
                #expect(result.ticket?.claims.ticketID.uuidString.lowercased() == ticket["id"].string)
                #expect(result.ticket?.claims.validUntil != nil)
            }

            let id = try #require(tickets[0]["id"].string)
            let png = try await server.api.get("/api/v1/tickets/\(id)/qr.png", token: buyer)
            #expect(png.headers.first(name: "Content-Type") == "image/png")
            let file = try makeTemporaryDirectory().appendingPathComponent("ticket.png")
            try png.body.write(to: file)
            let decoded = try await runProcess("zbarimg", ["--raw", "-q", file.path])
            #expect(decoded.stdout == (tickets[0]["payload"].string ?? "") + "\n")
            let svg = try await server.api.get("/api/v1/tickets/\(id)/qr.svg", token: buyer)
            #expect(svg.text.hasPrefix("<?xml"))
            // Someone else's ticket is not found; the organizer may see it.
            let (stranger, _, _) = try await server.register("stranger@example.com")
            #expect(try await server.api.get("/api/v1/tickets/\(id)/qr.png", token: stranger).status == 404)
            #expect(try await server.api.get("/api/v1/tickets/\(id)", token: sale.token).status == 200)
        }
    }

    @Test("Re-issue revokes the old version (superseded at the door); key rotation keeps old tickets valid")
    func reissueAndRotation() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let booking = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 2)
            let first = booking["tickets"][0]
            let id = try #require(first["id"].string)
            let oldPayload = try #require(first["payload"].string)
            let keyBefore = try #require(first["key_id"].string)

            let reissued = try await server.api.post("/api/v1/tickets/\(id)/reissue", token: buyer)
            #expect(reissued.json["issue_version"].int == 2)
            let newPayload = try #require(reissued.json["payload"].string)
            #expect(newPayload != oldPayload)

            let (staff, _) = try await Self.staff(server, organizer: sale.token)
            let old = try await server.api.post("/api/v1/check-ins", ["payload": oldPayload, "gate": "A"], token: staff)
            #expect(old.json["verdict"].string == "superseded")
            #expect(old.json["signal"].string == "amber")

            // Rotate: the second ticket (old key) still admits; new tickets use the new key.
            try await TestDatabase.withClient(server.database, logger: Logger(label: "test")) { client in
                let database = Database(client: client, maximumConnections: 2, registry: .init())
                let rotated = try await ServerMaintenance.rotateKeys(organizer: nil, database: database, logger: Logger(label: "test"))
                #expect(rotated.count == 1)
                #expect(rotated[0].retired == keyBefore)
            }
            let bundle = try TrustBundle.decode(try await server.api.get("/api/v1/organizers/\(sale.organizer)/trust").body)
            #expect(bundle.issuerKeys.map(\.status).sorted() == ["active", "retired"])
            let secondPayload = try #require(booking["tickets"][1]["payload"].string)
            let admitted = try await server.api.post("/api/v1/check-ins", ["payload": secondPayload, "gate": "A"], token: staff)
            #expect(admitted.json["verdict"].string == "ok")
            let later = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType)
            #expect(later["tickets"][0]["key_id"].string != keyBefore)
            let reissuedNow = try await server.api.post("/api/v1/check-ins", ["payload": newPayload, "gate": "A"], token: staff)
            #expect(reissuedNow.json["verdict"].string == "ok")
        }
    }

    @Test("Check-ins that arrive together are decided together: one admission per ticket however many doors scan it, every scan recorded")
    func checkInsTogether() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let payloads = try await server.ticketPayloads(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 4)
            let (staff, _) = try await Self.staff(server, organizer: sale.token)
            // 48 scans at once: each of the 4 tickets at 12 doors, interleaved, so batches hold the
            // same ticket several times and two batches hold the same ticket at once.
            let scans = (0..<48).map { (payloads[$0 % 4], "Door \($0 / 4)") }
            let verdicts = try await withThrowingTaskGroup(of: (String, String?).self) { group in
                for (payload, gate) in scans {
                    group.addTask {
                        let response = try await server.api.post("/api/v1/check-ins", ["payload": payload, "gate": gate], token: staff)
                        return (payload, response.json["verdict"].string)
                    }
                }
                return try await group.reduce(into: [String: [String?]]()) { $0[$1.0, default: []].append($1.1) }
            }
            for payload in payloads {
                let seen = verdicts[payload] ?? []
                #expect(seen.filter { $0 == "ok" }.count == 1, "\(seen)")
                #expect(seen.filter { $0 == "already_admitted" }.count == 11, "\(seen)")
            }
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE verdict = 'ok'") == 4)
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE verdict = 'already_admitted'") == 44)
            #expect(try await server.count("SELECT count(DISTINCT ticket_id)::int FROM scans WHERE verdict = 'ok'") == 4)
            // A ticket checked out and in again within one moment: exit, then entry — both decided in order.
            let out = try await server.api.post(
                "/api/v1/check-ins", ["payload": payloads[0], "gate": "Door 0", "direction": "exit"], token: staff)
            #expect(out.json["verdict"].string == "ok")
        }
    }

    /// A staff account of the organizer whose token is `organizer`; returns its token and id.
    static func staff(_ server: TestServer, organizer: String, email: String = "door@example.com") async throws -> (String, String) {
        let created = try await server.api.post(
            "/api/v1/organizers/me/staff", ["email": email, "display_name": "Door", "password": "door password 1"],
            token: organizer)
        #expect(created.status == 201)
        let login = try await server.api.post("/api/v1/auth/login", ["email": email, "password": "door password 1"])
        return (try #require(login.json["access_token"].string), try #require(created.json["id"].string))
    }

    @Test("Online check-in: staff admit once, even when two doors scan at the same moment; others' tickets are wrong_event")
    func checkIn() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let other = try await server.onSale(organizer: "other@example.com", admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let mine = try #require(
                try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 2)["tickets"].array
                    .compactMap { $0["payload"].string })
            let foreign = try #require(
                try await server.buy(token: buyer, event: other.event, ticketType: other.ticketType)["tickets"][0]["payload"].string)
            let (staff, _) = try await Self.staff(server, organizer: sale.token)

            // Two doors, one ticket, the same instant: exactly one admission.
            let results = try await withThrowingTaskGroup(of: String?.self) { group in
                for gate in ["North", "South"] {
                    group.addTask {
                        try await server.api.post("/api/v1/check-ins", ["payload": mine[0], "gate": gate], token: staff)
                            .json["verdict"].string
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(results.compactMap { $0 }.sorted() == ["already_admitted", "ok"])

            let exit = try await server.api.post("/api/v1/check-ins", ["payload": mine[0], "gate": "North", "direction": "exit"], token: staff)
            #expect(exit.json["verdict"].string == "ok")
            let back = try await server.api.post("/api/v1/check-ins", ["payload": mine[0], "gate": "North"], token: staff)
            #expect(back.json["verdict"].string == "already_admitted", "single entry is the default policy")
            #expect(back.json["message"].string?.contains("Already admitted") == true)

            let wrong = try await server.api.post("/api/v1/check-ins", ["payload": foreign, "gate": "North"], token: staff)
            #expect(wrong.json["verdict"].string == "wrong_event")
            #expect(wrong.json["scan_id"].isNull)
            // Another organizer's ticket is none of this door's business: nothing lands in their data.
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE event_id = '\(other.event)'") == 0)
            let theirs = try await server.api.get("/api/v1/organizers/me/statistics", token: other.token)
            #expect(theirs.json["check_ins"]["by_gate"].array.isEmpty, "\(theirs.text)")
            let forged = try await server.api.post(
                "/api/v1/check-ins", ["payload": String(mine[1].dropLast(3)) + "AAA", "gate": "North"], token: staff)
            #expect(["invalid_signature", "malformed"].contains(forged.json["verdict"].string ?? ""))
            #expect(forged.json["ticket"].isNull)
            let garbage = try await server.api.post("/api/v1/check-ins", ["payload": "hello", "gate": "North"], token: staff)
            #expect(garbage.json["verdict"].string == "malformed")
            #expect(garbage.json["scan_id"].isNull)

            #expect(try await server.api.post("/api/v1/check-ins", ["payload": mine[1], "gate": "A"], token: buyer).status == 403)
            // The organizer can check in their own events too.
            #expect(try await server.api.post("/api/v1/check-ins", ["payload": mine[1], "gate": "Box"], token: sale.token)
                .json["verdict"].string == "ok")
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE verdict = 'ok'") == 3)
        }
    }

    /// A batch is decided from its tickets' histories, read without a lock; the statement that
    /// records it finds which of them changed meanwhile (migration 22).
    @Test("A check-in whose ticket was admitted or refunded after its history was read is decided again under the lock")
    func historyChangedMeanwhile() async throws {
        try await TestServer.run { server in
            try await DirectCheckIns.run(server, tickets: 2) { doors, sale, booking in
                let (service, database, logger, payloads, tickets) = (doors.service, doors.database, doors.logger, doors.payloads, doors.tickets)
                func arrive(_ payload: String) async throws -> CheckInService.CheckIn { try await doors.arrive(payload, gate: "North") }
                // The south door read the first ticket's history before the north door admitted it.
                func history(of ticket: UUID) async throws -> TicketHistories {
                    try await database.withConnection(logger: logger) { try await TicketHistories.read(of: [ticket], on: $0, logger: logger) }
                }
                let read = try await history(of: tickets[0])
                #expect(try await service.decide([try await arrive(payloads[0])], logger: logger)[0].result.verdict.code == .ok)
                let south = try await service.decide([try await arrive(payloads[0])], knowing: read, logger: logger)
                #expect(south[0].result.verdict.code == .alreadyAdmitted)

                // The second ticket is refunded after its check-in read its history.
                let before = try await history(of: tickets[1])
                let refund = try await server.api.post(
                    "/api/v1/bookings/\(booking["id"].string ?? "")/refunds", ["ticket_ids": [tickets[1].uuidString.lowercased()]],
                    token: sale.token, headers: [("Idempotency-Key", "meanwhile")])
                #expect(refund.status == 200, "\(refund.text)")
                let door = try await service.decide([try await arrive(payloads[1])], knowing: before, logger: logger)
                #expect(door[0].result.verdict.code == .revoked)
            }
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE verdict = 'ok'") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE verdict = 'already_admitted'") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE verdict = 'revoked'") == 1)
        }
    }

    @Test("A batch is decided first as if no ticket had a history: tickets that have one — admitted, refunded — are decided again from it, in their places")
    func firstCheckInsTogetherWithOthers() async throws {
        try await TestServer.run { server in
            let new = try await DirectCheckIns.run(server, tickets: 3) { doors, sale, booking in
                let (payloads, tickets) = (doors.payloads, doors.tickets.map { $0.uuidString.lowercased() })
                // The first ticket is admitted and the second refunded before the batch; the third is new.
                #expect(try await server.api.post("/api/v1/check-ins", ["payload": payloads[0], "gate": "North"], token: sale.token)
                    .json["verdict"].string == "ok")
                let refund = try await server.api.post(
                    "/api/v1/bookings/\(booking["id"].string ?? "")/refunds", ["ticket_ids": [tickets[1]]],
                    token: sale.token, headers: [("Idempotency-Key", "before-the-batch")])
                #expect(refund.status == 200, "\(refund.text)")
                var batch: [CheckInService.CheckIn] = []
                for payload in [payloads[2], payloads[0], payloads[1], payloads[2]] {
                    batch.append(try await doors.arrive(payload, gate: "South"))
                }
                let outcomes = try await doors.service.decide(batch, logger: doors.logger)
                #expect(outcomes.map(\.result.verdict.code) == [.ok, .alreadyAdmitted, .revoked, .alreadyAdmitted])
                #expect(outcomes.allSatisfy { $0.scanID != nil })
                return tickets[2]
            }
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE verdict = 'ok'") == 2)
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE verdict = 'ok' AND ticket_id = '\(new)'") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE verdict = 'already_admitted'") == 2)
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE verdict = 'revoked'") == 1)
        }
    }
}

/// A buyer's paid tickets and a check-in service of the test's own on the test server's
/// database, for tests that hand batches to ``CheckInService`` directly.
private struct DirectCheckIns {
    typealias Sale = (token: String, organizer: String, event: String, ticketType: String)

    let service: CheckInService
    let database: Database
    let logger: Logger
    let buyer: UUID
    let payloads: [String]
    let tickets: [UUID]

    /// A check-in at `gate` prepared as a request prepares it.
    func arrive(_ payload: String, gate: String) async throws -> CheckInService.CheckIn {
        try #require(try await service.prepare(
            payload: payload, gate: gate, direction: .entry, organizers: nil, recordedBy: buyer, now: Date(), logger: logger))
    }

    /// Puts an event on sale, has a buyer pay for `tickets` tickets, then runs `body` with them,
    /// the sale and the booking.
    static func run<Result: Sendable>(
        _ server: TestServer, tickets count: Int,
        _ body: @Sendable (DirectCheckIns, _ sale: Sale, _ booking: JSON) async throws -> Result
    ) async throws -> Result {
        let admin = try await server.admin()
        let sale = try await server.onSale(admin: admin)
        let (token, buyer, _) = try await server.register("buyer@example.com")
        let booking = try await server.buy(token: token, event: sale.event, ticketType: sale.ticketType, quantity: count)
        let payloads = booking["tickets"].array.compactMap { $0["payload"].string }
        let tickets = booking["tickets"].array.compactMap { $0["id"].string.flatMap(UUID.init(uuidString:)) }
        try #require(payloads.count == count && tickets.count == count)
        let logger = Logger(label: "spot-test")
        return try await TestDatabase.withClient(server.database, logger: logger) { client in
            let database = Database(client: client, maximumConnections: 4, registry: .init())
            return try await body(
                DirectCheckIns(
                    service: CheckInService(database: database, facts: CheckInFacts()), database: database, logger: logger,
                    buyer: try #require(UUID(uuidString: buyer)), payloads: payloads, tickets: tickets),
                sale, booking)
        }
    }
}
