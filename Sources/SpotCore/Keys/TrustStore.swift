import Crypto
import Foundation

/// Everything a verifier trusts: the public issuer key ring and the device
/// certificates of its venue, indexed by key id. Certificate signatures are
/// checked once, here, so each scan costs a single Ed25519 verification.
public struct TrustStore: Sendable {
    /// A key that may have signed a ticket.
    enum Signer: Sendable {
        case issuer(IssuerKey)
        case device(DeviceCertificate, publicKey: Curve25519.Signing.PublicKey, issuer: IssuerKey)

        var publicKey: Curve25519.Signing.PublicKey {
            switch self {
            case .issuer(let key): key.publicKey
            case .device(_, let publicKey, _): publicKey
            }
        }
    }

    private let signers: [KeyID: Signer]
    public let issuerKeys: [IssuerKey]
    public let certificates: [DeviceCertificate]
    /// Certificates left out, and why: from an issuer not in the ring, badly signed, or for a
    /// device key whose id an issuer key or another device key already has. Their tickets get
    /// `unknown_key`; every other key of the bundle stays trusted.
    public let rejectedCertificates: [(certificate: DeviceCertificate, reason: CertificateError)]

    /// Builds the store; refuses two different issuer keys with one key id. A certificate that
    /// cannot be trusted is left out (``rejectedCertificates``) — one bad certificate must not
    /// stop a venue's nodes from trusting the rest. When several certificates certify the same
    /// device key, the one with the latest `notAfter` is used.
    public init(issuerKeys: [IssuerKey], certificates: [DeviceCertificate] = []) throws(TrustError) {
        var signers: [KeyID: Signer] = [:]
        for key in issuerKeys {
            if case .issuer(let existing) = signers[key.keyID] {
                guard existing.publicKey.rawRepresentation == key.publicKey.rawRepresentation else {
                    throw .duplicateKeyID(key.keyID)
                }
            }
            signers[key.keyID] = .issuer(key)
        }
        var rejected: [(DeviceCertificate, CertificateError)] = []
        for certificate in certificates {
            guard case .issuer(let issuer) = signers[certificate.issuerKeyID] else {
                rejected.append((certificate, .unknownIssuer(certificate.issuerKeyID)))
                continue
            }
            guard certificate.isSigned(by: issuer) else {
                rejected.append((certificate, .invalidSignature))
                continue
            }
            let deviceKeyID = certificate.deviceKeyID
            switch signers[deviceKeyID] {
            case .issuer:
                rejected.append((certificate, .keyIDCollision(deviceKeyID)))
            case .device(_, let publicKey, _)
            where publicKey.rawRepresentation != certificate.claims.devicePublicKey.rawRepresentation:
                rejected.append((certificate, .keyIDCollision(deviceKeyID)))
            case .device(let existing, _, _) where existing.claims.notAfter >= certificate.claims.notAfter:
                continue
            default:
                signers[deviceKeyID] = .device(
                    certificate, publicKey: certificate.claims.devicePublicKey, issuer: issuer)
            }
        }
        self.signers = signers
        self.issuerKeys = issuerKeys
        self.certificates = certificates
        self.rejectedCertificates = rejected
    }

    func signer(for keyID: KeyID) -> Signer? { signers[keyID] }
}

/// Why a trust store could not be built.
public enum TrustError: Error, Equatable, Sendable, CustomStringConvertible {
    case duplicateKeyID(KeyID)
    case certificate(CertificateError)

    public var description: String {
        switch self {
        case .duplicateKeyID(let id): "two different keys share the key id \(id)"
        case .certificate(let error): error.description
        }
    }
}
