import Foundation
import SpotCore
import SpotSync

/// Builds a trust store from `--trust` files: armored public keys (`signing.pub`),
/// armored device certificates, or trust bundle JSON, in any mix.
enum TrustFiles {
    static func load(_ paths: [String]) throws(CLIError) -> TrustStore {
        guard !paths.isEmpty else { throw .usage("give at least one --trust FILE (a signing.pub, certificate or trust bundle)") }
        var keys: [IssuerKey] = []
        var certificates: [DeviceCertificate] = []
        for path in paths {
            let text = try Files.readText(path, what: "trust file")
            do {
                switch KeyArmor.label(of: text) {
                case KeyArmor.publicKeyLabel?:
                    keys.append(try IssuerKey(armored: text))
                case KeyArmor.certificateLabel?:
                    certificates.append(try DeviceCertificate(armored: text))
                case KeyArmor.privateKeyLabel?:
                    throw CLIError.usage("'\(path)' is a private key: trust its public half (signing.pub) instead")
                case nil where text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{"):
                    let store = try TrustBundle.decode(Data(text.utf8)).trustStore()
                    keys += store.issuerKeys
                    certificates += store.certificates
                default:
                    throw CLIError.usage("'\(path)' is not a public key, device certificate or trust bundle")
                }
            } catch let error as CLIError {
                throw error
            } catch {
                throw .usage("trust file '\(path)': \(error)")
            }
        }
        do {
            return try TrustStore(issuerKeys: keys, certificates: certificates)
        } catch {
            throw .usage("cannot trust these files: \(error)")
        }
    }
}
