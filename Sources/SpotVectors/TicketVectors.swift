import Crypto
import Foundation
import SpotCore

/// Generates `SyncProtocol/vectors/tickets-v1.json` from fixed keys, identifiers
/// and times, so the file is byte-for-byte reproducible. Each case states the
/// verdict it must produce by intent; the generator never runs the verifier,
/// so the vectors check the verifier instead of recording it.
public enum TicketVectors {
    public static let fileName = "tickets-v1.json"
    public static let command = "spot vectors --out SyncProtocol/vectors"

    // Fixed identifiers.
    static let eventMain = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000e001")!
    static let eventOther = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000e002")!
    static let typeGeneral = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000a001")!
    static let typeVIP = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000a002")!
    static let venue = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000b001")!
    static let otherVenue = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000b002")!
    static let nodeA = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000c001")!
    static let nodeB = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000c002")!
    static func ticketID(_ number: Int) -> UUID {
        UUID(uuidString: "0193a5c0-7e00-7000-8000-\(String(format: "%012d", number))")!
    }
    static func scanID(_ number: Int) -> UUID {
        UUID(uuidString: "0193a5c0-7e00-7000-9000-\(String(format: "%012d", number))")!
    }

    // Fixed times.
    static func time(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    static let now = time("2026-12-05T20:00:00Z")

    /// Key names and how the default context trusts them.
    static let keyNames = ["issuer_2024", "issuer_2025", "issuer_2026", "stranger", "device_door_a", "device_door_old"]

    static func seed(_ name: String) -> Data {
        Data(SHA256.hash(data: Data("HVFLVSPOT test vector key: \(name)".utf8)))
    }

    static func key(_ name: String) -> SigningKey {
        // A SHA-256 digest is 32 bytes, always a valid Ed25519 seed.
        try! SigningKey(seed: seed(name))
    }

    /// Builds the whole file.
    public static func make() throws -> TicketVectorFile {
        var keys: [String: TicketVectorFile.Key] = [:]
        for name in keyNames {
            let signingKey = key(name)
            keys[name] = TicketVectorFile.Key(
                seedHex: seed(name).hexString, publicKeyHex: signingKey.publicKey.rawRepresentation.hexString,
                keyID: signingKey.keyID.hex)
        }
        let certificateSpecs: [(name: String, device: String, node: UUID, notAfter: Date)] = [
            ("door_a", "device_door_a", nodeA, time("2026-12-31T00:00:00Z")),
            ("door_old", "device_door_old", nodeA, time("2026-12-01T00:00:00Z")),
        ]
        var certificates: [String: TicketVectorFile.Certificate] = [:]
        for spec in certificateSpecs {
            let issuedAt = time("2026-11-20T09:00:00Z")
            let certificate = try DeviceCertificate.issue(
                .init(
                    devicePublicKey: key(spec.device).publicKey, nodeID: spec.node, venueID: venue,
                    eventIDs: [eventMain], issuedAt: issuedAt, notAfter: spec.notAfter),
                by: key("issuer_2026"))
            certificates[spec.name] = TicketVectorFile.Certificate(
                issuer: "issuer_2026", deviceKey: spec.device, nodeID: spec.node.lowercased, venueID: venue.lowercased,
                eventIDs: [eventMain.lowercased], issuedAt: issuedAt, notAfter: spec.notAfter, hex: Data(certificate.bytes).hexString)
        }
        return TicketVectorFile(
            description: "HVFLVSPOT ticket format v1 test vectors (SyncProtocol/tickets.md). "
                + "Every case gives its inputs in full and the verdict a conforming verifier must return.",
            formatVersion: 1, generator: command, keys: keys, certificates: certificates, cases: try cases())
    }

    /// The default gate: node B's gate "North" at the venue, admitting the main event.
    static func context(
        direction: String = "entry", venueID: UUID? = venue,
        events: [TicketVectorFile.Event]? = [event(eventMain)],
        revocations: [TicketVectorFile.Revocation] = [], scans: [TicketVectorFile.Scan] = []
    ) -> TicketVectorFile.Context {
        TicketVectorFile.Context(
            now: now, direction: direction, gate: "North", venueID: venueID?.lowercased,
            trustedKeys: [
                .init(key: "issuer_2024", status: "retired", verifiesUntil: time("2026-06-01T00:00:00Z")),
                .init(key: "issuer_2025", status: "retired", verifiesUntil: time("2027-01-01T00:00:00Z")),
                .init(key: "issuer_2026", status: "active", verifiesUntil: nil),
            ],
            certificates: ["door_a", "door_old"], events: events, revocations: revocations, scans: scans)
    }

    static func event(
        _ id: UUID, cancelled: Bool = false, allowed: [UUID]? = nil, reentry: String = "single_entry"
    ) -> TicketVectorFile.Event {
        .init(
            eventID: id.lowercased, cancelled: cancelled, allowedTicketTypes: allowed?.map(\.lowercased),
            reentryPolicy: reentry)
    }

    static func revocation(_ ticket: Int, version: UInt32, _ reason: String) -> TicketVectorFile.Revocation {
        .init(ticketID: ticketID(ticket).lowercased, issueVersion: version, reason: reason)
    }

    static func ticket(
        _ number: Int, key: String = "issuer_2026", event: UUID = eventMain, type: UUID = typeGeneral,
        version: UInt32 = 1, from: String? = nil, until: String? = nil
    ) -> TicketVectorFile.Ticket {
        .init(
            key: key, ticketID: ticketID(number).lowercased, eventID: event.lowercased, ticketTypeID: type.lowercased,
            issueVersion: version,
            validFrom: from.map(time), validUntil: until.map(time))
    }

    static func sign(_ ticket: TicketVectorFile.Ticket) throws -> SignedTicket {
        try SignedTicket.sign(
            TicketClaims(
                ticketID: try uuid(ticket.ticketID), eventID: try uuid(ticket.eventID),
                ticketTypeID: try uuid(ticket.ticketTypeID),
                issueVersion: ticket.issueVersion, validFrom: ticket.validFrom, validUntil: ticket.validUntil),
            with: key(ticket.key))
    }

    static func scan(
        _ number: Int, ticket: Int, direction: String = "entry", at: String, gate: String = "South", node: UUID = nodeA
    ) -> TicketVectorFile.Scan {
        .init(
            scanID: scanID(number).lowercased, ticketID: ticketID(ticket).lowercased, issueVersion: 1,
            direction: direction, gate: gate, nodeID: node.lowercased, at: time(at), hlcCounter: 0)
    }

    static func cases() throws -> [TicketVectorFile.Case] {
        var cases: [TicketVectorFile.Case] = []

        /// A case whose payload is the signed ticket, optionally altered as bytes or as text.
        func add(
            _ name: String, _ description: String, _ ticket: TicketVectorFile.Ticket,
            context: TicketVectorFile.Context = context(), expect verdict: String, reason: String? = nil,
            bytes alterBytes: ((inout [UInt8]) -> Void)? = nil, text alterText: ((String) -> String)? = nil
        ) throws {
            var bytes = try sign(ticket).bytes
            alterBytes?(&bytes)
            var text = Base45.encode(bytes)
            var payloadHex: String? = Data(bytes).hexString
            if let alterText {
                text = alterText(text)
                // The bytes a verifier decodes after stripping CR and LF (tickets.md §5 step 1).
                let stripped = text.trimmingCharacters(in: CharacterSet(charactersIn: "\r\n"))
                payloadHex = (try? Base45.decode(stripped)).map { Data($0).hexString }
            }
            cases.append(
                .init(
                    name: name, description: description, ticket: ticket, payloadHex: payloadHex, payloadText: text,
                    context: context, expected: .init(verdict: verdict, reason: reason)))
        }

        let main = ticket(1)
        let admitsGeneral = event(eventMain)
        let reentry = event(eventMain, reentry: "reentry_after_exit")

        // Valid tickets.
        try add("valid", "A ticket signed by the active issuer key, no validity window.", main, expect: "ok")
        try add(
            "valid_with_window", "Both validity fields present (the maximum v1 size), now inside the window.",
            ticket(2, from: "2026-12-05T18:00:00Z", until: "2026-12-06T04:00:00Z"), expect: "ok")
        try add(
            "valid_crlf_terminated", "A keyboard-wedge scanner appends CR LF; verifiers strip them.", main,
            expect: "ok", text: { $0 + "\r\n" })
        try add("any_event_gate", "A gate with events = null admits any event.", ticket(3, event: eventOther),
                context: context(events: nil), expect: "ok")

        // Structure.
        try add("tampered_claim", "One bit of the ticket type id flipped after signing.", main,
                expect: "invalid_signature", bytes: { $0[42] ^= 0x01 })
        try add("tampered_signature", "One bit of the signature flipped.", main,
                expect: "invalid_signature", bytes: { $0[$0.count - 1] ^= 0x80 })
        try add("truncated", "The last two bytes of the payload cut off.", main,
                expect: "malformed", reason: "wrong_length", bytes: { $0.removeLast(2) })
        try add("truncated_text", "The last character of the text cut off (length mod 3 = 1).", main,
                expect: "malformed", reason: "not_base45", text: { String($0.dropLast()) })
        try add("lowercase_text", "Base45 is upper case only; a lower-cased payload is not Base45.", main,
                expect: "malformed", reason: "not_base45", text: { $0.lowercased() })
        try add("empty", "An empty scan.", main, expect: "malformed", reason: "empty", text: { _ in "" })
        try add("too_long", "Text beyond the 512-character limit is refused before decoding.", main,
                expect: "malformed", reason: "too_long", text: { _ in String(repeating: "0", count: 513) })
        try add("version_zero", "Format version 0 never existed.", main,
                expect: "malformed", reason: "version_zero", bytes: { $0[0] = 0 })
        try add("unsupported_version", "Format version 2: refused as unsupported, never parsed.", main,
                expect: "unsupported_version", bytes: { $0[0] = 2 })
        try add("reserved_flags", "A reserved flag bit set.", main,
                expect: "malformed", reason: "reserved_flags", bytes: { $0[1] |= 0x04 })
        try add("flag_without_field", "valid_until flagged but its 8 bytes absent.", main,
                expect: "malformed", reason: "wrong_length", bytes: { $0[1] |= 0x02 })
        try add("issue_version_zero", "Issue version 0 is invalid.", main,
                expect: "malformed", reason: "issue_version_zero", bytes: { $0.replaceSubrange(58..<62, with: [0, 0, 0, 0]) })
        try add("validity_window_empty", "valid_from not earlier than valid_until.",
                ticket(4, from: "2026-12-05T18:00:00Z", until: "2026-12-06T04:00:00Z"),
                expect: "malformed", reason: "validity_window_empty",
                bytes: { $0.replaceSubrange(70..<78, with: $0[62..<70]) })

        // Keys.
        try add("wrong_key", "Signed by a key nobody trusts.", ticket(5, key: "stranger"), expect: "unknown_key")
        let issuerKeyID = key("issuer_2026").keyID.rawValue
        try add(
            "wrong_key_forged_key_id", "Signed by an untrusted key but carrying the trusted key's id.",
            ticket(5, key: "stranger"), expect: "invalid_signature",
            bytes: { bytes in
                // Re-sign with the stranger's key after writing the trusted key id, as a forger would.
                for index in 0..<8 { bytes[2 + index] = UInt8(truncatingIfNeeded: issuerKeyID >> (8 * (7 - index))) }
                let body = Array(bytes.dropLast(64))
                let forged = try! key("stranger").privateKey.signature(for: Array("HVFLVSPOT-TICKET-V1".utf8) + [0] + body)
                bytes = body + Array(forged)
            })
        try add("retired_key_still_verifies", "Signed by a retired key whose verification window is open.",
                ticket(6, key: "issuer_2025"), expect: "ok")
        try add("retired_key", "Signed by a retired key past its verification window.",
                ticket(7, key: "issuer_2024"), expect: "key_retired")

        // Event and product.
        try add("other_event", "A valid ticket for an event this gate does not admit.",
                ticket(8, event: eventOther), expect: "wrong_event")
        try add("event_cancelled", "The event was cancelled centrally.", main,
                context: context(events: [event(eventMain, cancelled: true)]),
                expect: "event_cancelled")
        try add("unknown_reentry_policy", "The event's re-entry policy is one the verifier does not know: nobody is admitted.",
                main, context: context(events: [event(eventMain, reentry: "reentry_with_wristband")]),
                expect: "unsupported_policy")
        try add("product_not_allowed", "A general ticket at a VIP-only gate.", main,
                context: context(events: [event(eventMain, allowed: [typeVIP])]),
                expect: "product_not_allowed")

        // Time.
        try add("not_yet_valid", "now is before valid_from.", ticket(9, from: "2026-12-06T18:00:00Z"),
                expect: "not_yet_valid")
        try add("expired", "now is at or after valid_until.", ticket(10, until: "2026-12-05T19:00:00Z"),
                expect: "expired")
        try add("expired_at_boundary", "valid_until is exclusive: now == valid_until is expired.",
                ticket(11, until: "2026-12-05T20:00:00Z"), expect: "expired")

        // Revocation and re-issue.
        try add("revoked", "The ticket was refunded centrally.", main,
                context: context(revocations: [revocation(1, version: 1, "refunded")]),
                expect: "revoked")
        try add("revoked_unknown_reason", "A revocation reason the verifier does not know still revokes.", main,
                context: context(revocations: [revocation(1, version: 1, "chargeback")]),
                expect: "revoked")
        try add("unknown_reason_over_reissue", "At equal versions an unknown reason is final: it wins over reissued.", main,
                context: context(revocations: [
                    revocation(1, version: 1, "reissued"),
                    revocation(1, version: 1, "chargeback"),
                ]),
                expect: "revoked")
        try add("reissued_old_version", "Version 1 of a ticket re-issued as version 2.", main,
                context: context(revocations: [revocation(1, version: 1, "reissued")]),
                expect: "superseded")
        try add("reissued_new_version", "Version 2 of a re-issued ticket is valid.", ticket(1, version: 2),
                context: context(revocations: [revocation(1, version: 1, "reissued")]),
                expect: "ok")
        try add("refunded_after_reissue", "Version 2 refunded: version 1 is revoked too.", main,
                context: context(revocations: [
                    revocation(1, version: 1, "reissued"),
                    revocation(1, version: 2, "refunded"),
                ]),
                expect: "revoked")

        // Admissions.
        try add("already_admitted", "Admitted earlier at another gate of another node.", main,
                context: context(scans: [scan(1, ticket: 1, at: "2026-12-05T19:30:00Z")]), expect: "already_admitted")
        try add("single_entry_after_exit", "Exit scanned, but the event allows a single entry.", main,
                context: context(scans: [
                    scan(2, ticket: 1, at: "2026-12-05T19:00:00Z"),
                    scan(3, ticket: 1, direction: "exit", at: "2026-12-05T19:30:00Z"),
                ]),
                expect: "already_admitted")
        try add("reentry_after_exit", "Exit scanned and the event allows re-entry.", main,
                context: context(events: [reentry], scans: [
                    scan(4, ticket: 1, at: "2026-12-05T19:00:00Z"),
                    scan(5, ticket: 1, direction: "exit", at: "2026-12-05T19:30:00Z"),
                ]),
                expect: "ok")
        try add("reentry_while_inside", "Re-entry policy, but no exit since the last entry.", main,
                context: context(events: [reentry], scans: [
                    scan(6, ticket: 1, at: "2026-12-05T19:00:00Z"),
                    scan(7, ticket: 1, direction: "exit", at: "2026-12-05T19:10:00Z"),
                    scan(8, ticket: 1, at: "2026-12-05T19:20:00Z"),
                ]),
                expect: "already_admitted")
        try add("exit_without_entry", "An exit scan for a ticket never admitted.", main,
                context: context(direction: "exit"), expect: "not_inside")
        try add("exit_after_entry", "An exit scan after an admission.", main,
                context: context(direction: "exit", events: [admitsGeneral], scans: [scan(9, ticket: 1, at: "2026-12-05T19:00:00Z")]),
                expect: "ok")
        try add("exit_of_revoked_ticket", "Exits skip revocation: a holder inside may always leave.", main,
                context: context(direction: "exit",
                                 revocations: [revocation(1, version: 1, "refunded")],
                                 scans: [scan(10, ticket: 1, at: "2026-12-05T19:00:00Z")]),
                expect: "ok")

        // Door sales signed by certified device keys.
        try add("device_ticket_at_other_door", "Sold and signed at door A; valid offline at node B.",
                ticket(12, key: "device_door_a"), expect: "ok")
        try add("device_certificate_expired", "Signed by a device whose certificate has expired.",
                ticket(13, key: "device_door_old"), expect: "certificate_expired")
        try add("device_not_authorized_event", "A device key signing for an event its certificate does not list.",
                ticket(14, key: "device_door_a", event: eventOther),
                context: context(events: [
                    admitsGeneral,
                    event(eventOther),
                ]),
                expect: "device_not_authorized")
        try add("device_other_venue", "A device certified for another venue than the gate's.",
                ticket(15, key: "device_door_a"), context: context(venueID: otherVenue), expect: "device_not_authorized")
        return cases
    }
}
