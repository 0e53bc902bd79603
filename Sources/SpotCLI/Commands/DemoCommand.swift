import ArgumentParser
import Foundation
import SpotCore

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo: a signing key, a signed ticket, its QR code (PNG and SVG), verified offline.",
        discussion: """
            Creates (or reuses) a signing key in DIR/keys, issues a ticket for a demo event, writes its QR \
            code to DIR/tickets, and verifies it offline — then shows a tampered copy being refused.

            Example:
              spot demo --dir demo-output
            """
    )

    @Option(help: ArgumentHelp("Where the demo keeps its files.", valueName: "DIR"))
    var dir = "demo-output"

    static let event = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000e001")!
    static let ticketType = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000a001")!

    func run() throws {
        let keyDirectory = (dir as NSString).appendingPathComponent("keys")
        let privatePath = (keyDirectory as NSString).appendingPathComponent("signing.key")
        let publicPath = (keyDirectory as NSString).appendingPathComponent("signing.pub")
        let key: SigningKey
        if FileManager.default.fileExists(atPath: privatePath) {
            key = try loadPrivateKey(privatePath)
            print("1. Reusing signing key \(key.keyID) from \(privatePath)")
        } else {
            key = SigningKey()
            try Files.makeDirectory(keyDirectory)
            try Files.write(key.armoredPrivateKey, to: privatePath, mode: 0o600)
            try Files.write(key.armoredPublicKey, to: publicPath)
            print("1. Generated signing key \(key.keyID) in \(keyDirectory)")
        }

        let now = Date()
        var generator = SystemRandomNumberGenerator()
        let claims = TicketClaims(
            ticketID: UUID.version7(unixMilliseconds: Int64(now.timeIntervalSince1970 * 1000), using: &generator),
            eventID: Self.event, ticketTypeID: Self.ticketType, validUntil: now.addingTimeInterval(7 * 86_400))
        // Version 1 and a window that ends in the future are always signable.
        let ticket = try! SignedTicket.sign(claims, with: key)
        print("2. Issued ticket \(claims.ticketID.uuidString.lowercased()) for event \(Self.event.uuidString.lowercased())")
        print("   payload (\(ticket.bytes.count) bytes → \(ticket.text.count) Base45 characters):")
        print("   \(ticket.text)")

        let ticketDirectory = (dir as NSString).appendingPathComponent("tickets")
        let png = (ticketDirectory as NSString).appendingPathComponent("demo-ticket.png")
        let svg = (ticketDirectory as NSString).appendingPathComponent("demo-ticket.svg")
        let text = (ticketDirectory as NSString).appendingPathComponent("demo-ticket.txt")
        try writeQR(ticket.text, png: png, svg: svg)
        try Files.write(ticket.text + "\n", to: text)
        print("3. Wrote the QR code: \(png) and \(svg)")

        let verifier = TicketVerifier(
            trust: try TrustFiles.load([publicPath]),
            gate: GatePolicy(gate: "demo", events: [EventAdmission(eventID: Self.event)]))
        let admitted = verifier.verify(ticket.text, at: now, revocations: RevocationList(), scans: ScanLedger())
        print("4. Verified offline: \(admitted.verdict.code) — \(admitted.message())")

        var tampered = ticket.bytes
        tampered[42] ^= 0x01  // one bit of the ticket type id
        let refused = verifier.verify(Base45.encode(tampered), at: now, revocations: RevocationList(), scans: ScanLedger())
        print("5. A copy with one bit changed: \(refused.verdict.code) — \(refused.message())")
        guard admitted.verdict.passes, !refused.verdict.passes else {
            throw CLIError.failure("the demo ticket did not verify as expected")
        }

        // The path this binary was started by, so the lines below run as printed.
        let spot = CommandLine.arguments.first ?? "spot"
        print("""

            Try it yourself:
              zbarimg --raw -q \(png)
              \(spot) ticket verify --trust \(publicPath) --event \(Self.event.uuidString.lowercased()) "$(cat \(text))"
              \(spot) ticket verify --trust \(publicPath) --event 0193a5c0-7e00-7000-8000-00000000e002 "$(cat \(text))"
              \(spot) --help
            """)
    }
}
