import ArgumentParser
import Foundation
import SpotCore
import SpotQR

struct TicketCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticket",
        abstract: "Issue and verify signed QR tickets (format v1, SyncProtocol/tickets.md).",
        subcommands: [Issue.self, Verify.self]
    )

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a ticket and print its payload text; optionally write its QR code.",
            discussion: """
                Example:
                  spot ticket issue --key keys/signing.key \\
                    --event 0193a5c0-7e00-7000-8000-00000000e001 --ticket-type 0193a5c0-7e00-7000-8000-00000000a001 \\
                    --valid-until 2026-12-06T04:00:00Z --png ticket.png --svg ticket.svg
                """
        )

        @Option(help: ArgumentHelp("The private key file that signs.", valueName: "FILE"))
        var key: String

        @Option(help: ArgumentHelp("The event id.", valueName: "UUID"))
        var event: UUID

        @Option(help: ArgumentHelp("The ticket type id.", valueName: "UUID"))
        var ticketType: UUID

        @Option(help: ArgumentHelp("The ticket id (default: a new UUIDv7).", valueName: "UUID"))
        var ticket: UUID?

        @Option(help: ArgumentHelp("The issue version; a re-issued ticket has the next one.", valueName: "N"))
        var issueVersion: UInt32 = 1

        @Option(help: ArgumentHelp("First instant the ticket admits (ISO 8601).", valueName: "INSTANT"))
        var validFrom: Instant?

        @Option(help: ArgumentHelp("First instant the ticket no longer admits (ISO 8601).", valueName: "INSTANT"))
        var validUntil: Instant?

        @Option(help: ArgumentHelp("Write the QR code as a PNG image here.", valueName: "FILE"))
        var png: String?

        @Option(help: ArgumentHelp("Write the QR code as an SVG image here.", valueName: "FILE"))
        var svg: String?

        func run() throws {
            let signingKey = try loadPrivateKey(key)
            var generator = SystemRandomNumberGenerator()
            let ticketID = ticket ?? UUID.version7(
                unixMilliseconds: Int64(Date().timeIntervalSince1970 * 1000), using: &generator)
            let signed: SignedTicket
            do {
                signed = try SignedTicket.sign(
                    TicketClaims(
                        ticketID: ticketID, eventID: event, ticketTypeID: ticketType, issueVersion: issueVersion,
                        validFrom: validFrom?.date, validUntil: validUntil?.date),
                    with: signingKey)
            } catch {
                throw CLIError.usage("\(error)")
            }
            try writeQR(signed.text, png: png, svg: svg)
            print(signed.text)
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a ticket payload offline and print the verdict as one line of JSON.",
            discussion: """
                Exits 0 when the ticket is admitted, 1 when it is refused, 2 on usage errors. Without \
                --event any event is admitted (a signature check). PAYLOAD '-' reads it from standard input.

                Example:
                  spot ticket verify --trust keys/signing.pub --event 0193a5c0-7e00-7000-8000-00000000e001 "$PAYLOAD"
                  zbarimg --raw -q ticket.png | spot ticket verify --trust keys/signing.pub -
                """
        )

        @Option(help: ArgumentHelp(
            "A trusted public key, device certificate or trust bundle (repeatable).", valueName: "FILE"))
        var trust: [String] = []

        @Option(name: .customLong("event"), help: ArgumentHelp("An event this gate admits (repeatable).", valueName: "UUID"))
        var events: [UUID] = []

        @Option(help: "Scan direction.")
        var direction: ScanDirection = .entry

        @Option(help: ArgumentHelp("Verify as of this instant instead of now (ISO 8601).", valueName: "INSTANT"))
        var at: Instant?

        @Argument(help: ArgumentHelp("The payload text, or '-' for standard input.", valueName: "PAYLOAD"))
        var payload: String

        func run() throws {
            let trustStore = try TrustFiles.load(trust)
            let text = payload == "-" ? readStandardInput() : payload
            let gate = GatePolicy(
                gate: "cli", events: events.isEmpty ? nil : events.map { EventAdmission(eventID: $0) })
            let result = TicketVerifier(trust: trustStore, gate: gate).verify(
                text, direction: direction, at: at?.date ?? Date(), revocations: RevocationList(), scans: ScanLedger())
            print(VerdictLine(result).json)
            if !result.verdict.passes { throw ExitCode(CLIError.failureExitCode) }
        }

        private func readStandardInput() -> String {
            String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
    }
}

/// Writes the QR code of `text` as PNG and/or SVG.
func writeQR(_ text: String, png: String?, svg: String?) throws(CLIError) {
    guard png != nil || svg != nil else { return }
    let code: QRCode
    do {
        code = try QRCode(text: text)
    } catch {
        throw .failure("\(error)")
    }
    if let png { try Files.write(code.pngData(), to: png) }
    if let svg { try Files.write(code.svg(), to: svg) }
}

/// The one-line JSON `spot ticket verify` prints.
struct VerdictLine: Encodable {
    struct Ticket: Encodable {
        let ticketID: String
        let eventID: String
        let ticketTypeID: String
        let issueVersion: UInt32
        let keyID: String
        let validFrom: String?
        let validUntil: String?

        enum CodingKeys: String, CodingKey {
            case ticketID = "ticket_id"
            case eventID = "event_id"
            case ticketTypeID = "ticket_type_id"
            case issueVersion = "issue_version"
            case keyID = "key_id"
            case validFrom = "valid_from"
            case validUntil = "valid_until"
        }
    }

    let verdict: String
    let admitted: Bool
    let signal: String
    let message: String
    let direction: String
    let ticket: Ticket?

    init(_ result: VerificationResult) {
        verdict = result.verdict.code.rawValue
        admitted = result.verdict.passes
        signal = result.verdict.signal.rawValue
        message = result.message()
        direction = result.direction.rawValue
        ticket = result.ticket.map { signed in
            Ticket(
                ticketID: signed.claims.ticketID.uuidString.lowercased(),
                eventID: signed.claims.eventID.uuidString.lowercased(),
                ticketTypeID: signed.claims.ticketTypeID.uuidString.lowercased(),
                issueVersion: signed.claims.issueVersion, keyID: signed.keyID.hex,
                validFrom: signed.claims.validFrom?.iso8601, validUntil: signed.claims.validUntil?.iso8601)
        }
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, booleans and numbers always encode.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}
