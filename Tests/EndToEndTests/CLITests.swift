import Foundation
import SpotCore
import SpotTestSupport
import Testing

/// Runs the real `spot` binary as a user would.
@Suite("spot CLI end to end")
struct CLITests {
    let event = "0193a5c0-7e00-7000-8000-00000000e001"
    let otherEvent = "0193a5c0-7e00-7000-8000-00000000e002"
    let ticketType = "0193a5c0-7e00-7000-8000-00000000a001"

    struct VerdictLine: Decodable {
        let verdict: String
        let admitted: Bool
        let message: String
        let signal: String
        let ticket: Ticket?

        struct Ticket: Decodable {
            let ticket_id: String
            let event_id: String
            let key_id: String
        }
    }

    func verdict(_ result: ProcessResult) throws -> VerdictLine {
        #expect(result.stdout.split(separator: "\n").count == 1, "verify prints exactly one line")
        return try JSONDecoder().decode(VerdictLine.self, from: Data(result.stdout.utf8))
    }

    @Test("keys generate → ticket issue → ticket verify: admitted, refused, usage errors")
    func issueAndVerify() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = directory.appendingPathComponent("keys").path

        let generated = try await spot("keys", "generate", "--out", keys)
        #expect(generated.status == 0, "\(generated.stderr)")
        let keyID = generated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(KeyID(hex: keyID) != nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(keys)/signing.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try await spot("keys", "show", "\(keys)/signing.pub").stdout.contains(keyID))

        // A second generate refuses to overwrite the key.
        let again = try await spot("keys", "generate", "--out", keys)
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))

        let png = directory.appendingPathComponent("t.png").path
        let svg = directory.appendingPathComponent("t.svg").path
        let issued = try await spot(
            "ticket", "issue", "--key", "\(keys)/signing.key", "--event", event, "--ticket-type", ticketType,
            "--valid-until", "2099-01-01T00:00:00Z", "--png", png, "--svg", svg)
        #expect(issued.status == 0, "\(issued.stderr)")
        let payload = issued.stdout.trimmingCharacters(in: .newlines)
        #expect(payload.count == 201)
        #expect(try await runProcess("zbarimg", ["--raw", "-q", png]).stdout == payload + "\n")
        #expect(try String(contentsOfFile: svg, encoding: .utf8).hasPrefix("<?xml"))

        let admitted = try await spot("ticket", "verify", "--trust", "\(keys)/signing.pub", "--event", event, payload)
        #expect(admitted.status == 0)
        let line = try verdict(admitted)
        #expect(line.verdict == "ok" && line.admitted && line.signal == "green")
        #expect(line.ticket?.event_id == event && line.ticket?.key_id == keyID)

        // Standard input, as in `zbarimg --raw -q t.png | spot ticket verify --trust … -`.
        let piped = try await spot("ticket", "verify", "--trust", "\(keys)/signing.pub", "-", stdin: payload + "\n")
        #expect(piped.status == 0)

        let wrongEvent = try await spot("ticket", "verify", "--trust", "\(keys)/signing.pub", "--event", otherEvent, payload)
        #expect(wrongEvent.status == 1)
        #expect(try verdict(wrongEvent).verdict == "wrong_event")

        let expired = try await spot("ticket", "verify", "--trust", "\(keys)/signing.pub", "--at", "2099-01-01T00:00:00Z", payload)
        #expect(expired.status == 1)
        #expect(try verdict(expired).verdict == "expired")

        let forged = try await spot("ticket", "verify", "--trust", "\(keys)/signing.pub", String(payload.dropLast(3)) + "AAA")
        #expect(forged.status == 1)
        #expect(["invalid_signature", "malformed"].contains(try verdict(forged).verdict))
        #expect(try verdict(forged).ticket == nil)

        let garbage = try await spot("ticket", "verify", "--trust", "\(keys)/signing.pub", "hello world")
        #expect(garbage.status == 1)
        #expect(try verdict(garbage).verdict == "malformed")
    }

    @Test("Usage errors exit 2 with a clear message and no crash", arguments: [
        (["ticket", "verify", "--trust", "/nonexistent/signing.pub", "X"], "does not exist"),
        (["ticket", "verify", "X"], "--trust"),
        (["ticket", "issue", "--key", "/nonexistent.key", "--event", "0193a5c0-7e00-7000-8000-00000000e001",
          "--ticket-type", "0193a5c0-7e00-7000-8000-00000000a001"], "does not exist"),
        (["ticket", "issue", "--key", "k", "--event", "not-a-uuid", "--ticket-type", "x"], "not-a-uuid"),
        (["ticket", "verify", "--trust", "/etc/hostname", "X"], "not a public key"),
        (["keys", "generate"], "--out"),
        (["no-such-command"], "no-such-command"),
    ])
    func usageErrors(arguments: [String], mention: String) async throws {
        let result = try await runProcess(try spotBinary(), arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(mention), "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("A private key given as trust is refused with advice")
    func privateKeyAsTrust() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try await spot("keys", "generate", "--out", directory.path)
        let result = try await spot("ticket", "verify", "--trust", directory.appendingPathComponent("signing.key").path, "X")
        #expect(result.status == 2)
        #expect(result.stderr.contains("private key"))
    }

    @Test("A ticket sold at door A, signed by its certified device key, is admitted at door B")
    func deviceCertificate() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let issuer = directory.appendingPathComponent("issuer").path
        let door = directory.appendingPathComponent("door-a").path
        #expect(try await spot("keys", "generate", "--out", issuer).status == 0)
        #expect(try await spot("keys", "generate", "--out", door).status == 0)
        let certificate = "\(door)/device.cert"
        let certified = try await spot(
            "keys", "certify", "--issuer", "\(issuer)/signing.key", "--device", "\(door)/signing.pub",
            "--node", "0193a5c0-7e00-7000-8000-00000000c001", "--venue", "0193a5c0-7e00-7000-8000-00000000b001",
            "--event", event, "--not-after", "2099-01-01T00:00:00Z", "--out", certificate)
        #expect(certified.status == 0, "\(certified.stderr)")
        #expect(try await spot("keys", "show", certificate).stdout.contains("device certificate"))

        let sold = try await spot("ticket", "issue", "--key", "\(door)/signing.key", "--event", event, "--ticket-type", ticketType)
        let payload = sold.stdout.trimmingCharacters(in: .newlines)

        // Door B trusts the issuer and the certificate, not door A's key itself.
        let atDoorB = try await spot("ticket", "verify", "--trust", "\(issuer)/signing.pub", "--trust", certificate, "--event", event, payload)
        #expect(atDoorB.status == 0, "\(atDoorB.stdout)")
        let uncertified = try await spot("ticket", "verify", "--trust", "\(issuer)/signing.pub", "--event", event, payload)
        #expect(try verdict(uncertified).verdict == "unknown_key")
        let otherEventSale = try await spot("ticket", "issue", "--key", "\(door)/signing.key", "--event", otherEvent, "--ticket-type", ticketType)
        let refused = try await spot(
            "ticket", "verify", "--trust", "\(issuer)/signing.pub", "--trust", certificate,
            otherEventSale.stdout.trimmingCharacters(in: .newlines))
        #expect(try verdict(refused).verdict == "device_not_authorized")
    }

    @Test("spot demo --no-server writes a key, a ticket and its QR code, and verifies it")
    func demo() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await spot("demo", "--dir", directory.path, "--no-server")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Verified offline: ok"))
        #expect(first.stdout.contains("invalid_signature"))
        let payload = try String(contentsOfFile: directory.appendingPathComponent("tickets/demo-ticket.txt").path, encoding: .utf8)
        let decoded = try await runProcess("zbarimg", ["--raw", "-q", directory.appendingPathComponent("tickets/demo-ticket.png").path])
        #expect(decoded.stdout == payload)
        // A second run reuses the key.
        let second = try await spot("demo", "--dir", directory.path, "--no-server")
        #expect(second.status == 0)
        #expect(second.stdout.contains("Reusing signing key"))
    }

    @Test("spot vectors --check agrees with the committed vectors")
    func vectorsCheck() async throws {
        let result = try await spot("vectors", "--out", repositoryRoot.appendingPathComponent("SyncProtocol/vectors").path, "--check")
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("Every command has help with an example")
    func help() async throws {
        for command in [["demo"], ["keys", "generate"], ["keys", "certify"], ["keys", "show"], ["ticket", "issue"],
                        ["ticket", "verify"], ["bench", "verify"], ["bench", "search"], ["bench", "sync"], ["bench", "fleet"],
                        ["bench", "commerce"], ["vectors"], ["server", "run"],
                        ["server", "migrate"], ["server", "create-admin"], ["server", "seed"], ["server", "keys", "rotate"],
                        ["node", "enroll"], ["node", "run"], ["node", "pin"]] {
            let result = try await runProcess(try spotBinary(), command + ["--help"])
            #expect(result.status == 0)
            #expect(result.stdout.contains("USAGE: spot \(command.joined(separator: " "))"))
            #expect(result.stdout.contains("Example"), "\(command)")
        }
    }
}
