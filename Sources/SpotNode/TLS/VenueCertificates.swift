import Crypto
import Foundation
import SwiftASN1
import X509

/// The venue's own certificate authority and the certificates it gives its nodes, so phones
/// reach the kiosk over HTTPS on the venue LAN (camera access needs a secure page). Keys are
/// ECDSA P-256, which every phone accepts.
public enum VenueCertificates {
    /// How long a venue CA lasts: staff trust it once per phone.
    public static let authorityLifetime: TimeInterval = 10 * 365 * 86_400
    /// How long a node certificate lasts: 397 days, within what Apple and Chrome accept for a
    /// server certificate.
    public static let nodeLifetime: TimeInterval = 397 * 86_400
    /// A node certificate is renewed when it has less than this left.
    public static let renewalWindow: TimeInterval = 30 * 86_400

    /// A new venue CA: self-signed, allowed to sign node certificates only (path length 0).
    public static func makeAuthority(venueName: String, now: Date) throws -> (Certificate, Certificate.PrivateKey) {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = try DistinguishedName {
            OrganizationName("HVFLVSPOT venue")
            CommonName("\(venueName.prefix(48)) venue CA")
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(authorityLifetime),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
            },
            issuerPrivateKey: key)
        return (certificate, key)
    }

    /// A node's server certificate for its LAN names and addresses, signed by the venue CA.
    public static func makeNodeCertificate(
        nodeName: String, names: [String], addresses: [LANAddress], authority: Certificate, authorityKey: Certificate.PrivateKey,
        now: Date
    ) throws -> (Certificate, Certificate.PrivateKey) {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let subject = try DistinguishedName {
            OrganizationName("HVFLVSPOT venue")
            CommonName(String(nodeName.prefix(64)))
        }
        let alternativeNames = names.map { GeneralName.dnsName($0) }
            + addresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice($0.bytes))) }
        let notAfter = min(now.addingTimeInterval(nodeLifetime), authority.notValidAfter)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: notAfter,
            issuer: authority.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(alternativeNames)
                SubjectKeyIdentifier(hash: key.publicKey)
                if let authorityIdentifier = try authority.extensions.subjectKeyIdentifier {
                    AuthorityKeyIdentifier(keyIdentifier: authorityIdentifier.keyIdentifier)
                }
            },
            issuerPrivateKey: authorityKey)
        return (certificate, key)
    }

    /// The SHA-256 fingerprint of a certificate's DER bytes, as staff compare it: `AB:CD:…`.
    public static func fingerprint(_ certificate: Certificate) throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}
