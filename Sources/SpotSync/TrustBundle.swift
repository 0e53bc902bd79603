import Crypto
import Foundation
import SpotCore

/// The public key ring and device certificates as JSON: what the server
/// publishes to nodes and what `spot ticket verify --trust` reads.
///
/// ```json
/// {"format":"hvflvspot.trust.v1",
///  "issuer_keys":[{"key_id":"3f09a1c4d2e8b700","public_key":"<base64>","status":"retired",
///                  "verifies_until":"2027-01-01T00:00:00Z"}],
///  "device_certificates":["<base64>"]}
/// ```
public struct TrustBundle: Codable, Sendable, Equatable {
    public static let formatName = "hvflvspot.trust.v1"

    public struct Key: Codable, Sendable, Equatable {
        public var keyID: String
        public var publicKey: String
        public var status: String
        public var verifiesUntil: Date?
    }

    public var format: String
    public var issuerKeys: [Key]
    public var deviceCertificates: [String]

    public init(issuerKeys: [IssuerKey], certificates: [DeviceCertificate]) {
        self.format = Self.formatName
        self.issuerKeys = issuerKeys.map { key in
            let verifiesUntil: Date? =
                switch key.status {
                case .active: nil
                case .retired(let until): until
                }
            return Key(
                keyID: key.keyID.hex, publicKey: key.publicKey.rawRepresentation.base64EncodedString(),
                status: verifiesUntil == nil ? "active" : "retired", verifiesUntil: verifiesUntil)
        }
        self.deviceCertificates = certificates.map { Data($0.bytes).base64EncodedString() }
    }

    /// Parses the JSON form (``SyncJSON`` conventions).
    public static func decode(_ data: Data) throws(TrustBundleError) -> TrustBundle {
        do {
            return try SyncJSON.decoder.decode(TrustBundle.self, from: data)
        } catch {
            throw .invalidJSON(String(describing: error))
        }
    }

    /// The JSON form, keys sorted so equal bundles encode identically.
    public func encoded() -> Data {
        // Encoding strings, dates and arrays of them cannot fail.
        try! SyncJSON.prettyEncoder.encode(self)
    }

    /// Checks every field and builds the verifier's trust store.
    public func trustStore() throws(TrustBundleError) -> TrustStore {
        guard format == Self.formatName else { throw .unknownFormat(format) }
        var keys: [IssuerKey] = []
        for entry in issuerKeys {
            guard let raw = Data(base64Encoded: entry.publicKey),
                let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
            else { throw .invalidKey(entry.keyID, "public_key is not 32 bytes of base64") }
            let status: KeyStatus
            switch (entry.status, entry.verifiesUntil) {
            case ("active", nil): status = .active
            case ("retired", let until?): status = .retired(verifiesUntil: until)
            default: throw .invalidKey(entry.keyID, "status must be \"active\", or \"retired\" with verifies_until")
            }
            let key = IssuerKey(publicKey: publicKey, status: status)
            guard key.keyID.hex == entry.keyID else {
                throw .invalidKey(entry.keyID, "key_id does not match the public key (expected \(key.keyID))")
            }
            keys.append(key)
        }
        var certificates: [DeviceCertificate] = []
        for (index, text) in deviceCertificates.enumerated() {
            guard let raw = Data(base64Encoded: text) else { throw .invalidCertificate(index, "not base64") }
            do {
                certificates.append(try DeviceCertificate(bytes: Array(raw)))
            } catch {
                throw .invalidCertificate(index, error.description)
            }
        }
        do {
            return try TrustStore(issuerKeys: keys, certificates: certificates)
        } catch {
            throw .untrusted(error)
        }
    }
}

/// Why a trust bundle cannot be used.
public enum TrustBundleError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidJSON(String)
    case unknownFormat(String)
    case invalidKey(String, String)
    case invalidCertificate(Int, String)
    case untrusted(TrustError)

    public var description: String {
        switch self {
        case .invalidJSON(let detail): "not a trust bundle: \(detail)"
        case .unknownFormat(let format): "unknown trust bundle format \"\(format)\" (expected \(TrustBundle.formatName))"
        case .invalidKey(let id, let problem): "issuer key \(id): \(problem)"
        case .invalidCertificate(let index, let problem): "device certificate #\(index + 1): \(problem)"
        case .untrusted(let error): error.description
        }
    }
}
