import ArgumentParser
import Foundation
import SpotCore

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Generate signing keys, certify device keys, inspect key files.",
        subcommands: [Generate.self, Certify.self, Show.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate an Ed25519 signing key.",
            discussion: """
                Writes DIR/signing.key (the private key, mode 0600) and DIR/signing.pub (the public key \
                verifiers trust), then prints the key id. Refuses to replace an existing key unless --force.

                Example:
                  spot keys generate --out keys/
                """
        )

        @Option(name: .long, help: ArgumentHelp("Directory to write signing.key and signing.pub into.", valueName: "DIR"))
        var out: String

        @Flag(help: "Replace an existing key (tickets it signed will no longer verify against the new one).")
        var force = false

        func run() throws {
            let privatePath = (out as NSString).appendingPathComponent("signing.key")
            let publicPath = (out as NSString).appendingPathComponent("signing.pub")
            if !force, FileManager.default.fileExists(atPath: privatePath) {
                throw CLIError.usage("'\(privatePath)' already exists; pass --force to replace it")
            }
            try Files.makeDirectory(out)
            let key = SigningKey()
            try Files.write(key.armoredPrivateKey, to: privatePath, mode: 0o600)
            try Files.write(key.armoredPublicKey, to: publicPath, mode: 0o644)
            print(key.keyID.hex)
            note("private key: \(privatePath) (mode 0600: keep it secret)")
            note("public key:  \(publicPath) (verifiers trust this file)")
        }
    }

    struct Certify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Certify a node's device key so every door of its venue trusts its tickets.",
            discussion: """
                Signs a device certificate with an issuer key: the device public key, node, venue, the \
                events it may sell for, and an expiry. Prints the device key id.

                Example:
                  spot keys certify --issuer keys/signing.key --device door-a/signing.pub \\
                    --node 0193a5c0-7e00-7000-8000-00000000c001 --venue 0193a5c0-7e00-7000-8000-00000000b001 \\
                    --event 0193a5c0-7e00-7000-8000-00000000e001 --not-after 2026-12-31T00:00:00Z \\
                    --out door-a/device.cert
                """
        )

        @Option(help: ArgumentHelp("The issuer's private key file.", valueName: "FILE"))
        var issuer: String

        @Option(help: ArgumentHelp("The device's public key file.", valueName: "FILE"))
        var device: String

        @Option(help: ArgumentHelp("The node id.", valueName: "UUID"))
        var node: UUID

        @Option(help: ArgumentHelp("The venue id.", valueName: "UUID"))
        var venue: UUID

        @Option(name: .customLong("event"), help: ArgumentHelp("An event the device may sell for (repeatable).", valueName: "UUID"))
        var events: [UUID] = []

        @Option(help: ArgumentHelp("When the certificate stops being valid (ISO 8601).", valueName: "INSTANT"))
        var notAfter: Instant

        @Option(help: ArgumentHelp("Where to write the certificate.", valueName: "FILE"))
        var out: String

        func run() throws {
            guard !events.isEmpty else { throw CLIError.usage("give at least one --event UUID") }
            let issuerKey = try loadPrivateKey(issuer)
            let deviceKey: IssuerKey
            do {
                deviceKey = try IssuerKey(armored: try Files.readText(device, what: "device public key"))
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError.usage("device public key '\(device)': \(error)")
            }
            let certificate: DeviceCertificate
            do {
                certificate = try DeviceCertificate.issue(
                    .init(
                        devicePublicKey: deviceKey.publicKey, nodeID: node, venueID: venue, eventIDs: events,
                        issuedAt: Date(), notAfter: notAfter.date),
                    by: issuerKey)
            } catch {
                throw CLIError.usage("\(error)")
            }
            try Files.write(certificate.armored, to: out)
            print(certificate.deviceKeyID.hex)
            note("certificate: \(out) (issuer \(issuerKey.keyID), valid until \(notAfter.date.iso8601))")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe a key or certificate file.",
            discussion: """
                Example:
                  spot keys show keys/signing.pub
                """
        )

        @Argument(help: ArgumentHelp("A signing.key, signing.pub or device certificate file.", valueName: "FILE"))
        var file: String

        func run() throws {
            let text = try Files.readText(file, what: "key file")
            do {
                switch KeyArmor.label(of: text) {
                case KeyArmor.privateKeyLabel?:
                    print("Ed25519 private key, key id \(try SigningKey(armored: text).keyID)")
                case KeyArmor.publicKeyLabel?:
                    print("Ed25519 public key, key id \(try IssuerKey(armored: text).keyID)")
                case KeyArmor.certificateLabel?:
                    let certificate = try DeviceCertificate(armored: text)
                    let claims = certificate.claims
                    print("""
                        device certificate
                          device key id: \(certificate.deviceKeyID)
                          issuer key id: \(certificate.issuerKeyID)
                          node:          \(claims.nodeID.uuidString.lowercased())
                          venue:         \(claims.venueID.uuidString.lowercased())
                          events:        \(claims.eventIDs.map { $0.uuidString.lowercased() }.joined(separator: ", "))
                          issued at:     \(claims.issuedAt.iso8601)
                          not after:     \(claims.notAfter.iso8601)
                        """)
                default:
                    throw CLIError.usage("'\(file)' is not a key or certificate file")
                }
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError.usage("'\(file)': \(error)")
            }
        }
    }
}

/// Reads an armored private key file, warning when others may read it.
func loadPrivateKey(_ path: String) throws(CLIError) -> SigningKey {
    let text = try Files.readText(path, what: "private key")
    if let mode = Files.mode(of: path), mode & 0o077 != 0 {
        note("warning: '\(path)' is readable by other users (mode \(String(mode, radix: 8))); chmod 600 it")
    }
    do {
        return try SigningKey(armored: text)
    } catch {
        throw .usage("private key '\(path)': \(error)")
    }
}

/// A line on standard output, written at once (not held in stdio's buffer), so long-running
/// commands show their progress and URLs immediately even in a pipe or a log file.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// A human note on standard error, keeping standard output for results.
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
