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

    /// Builds the store; refuses duplicate key ids, certificates from unknown issuers
    /// and certificates whose signature does not verify. When several certificates
    /// certify the same device key, the one with the latest `notAfter` is used.
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
        for certificate in certificates {
            guard case .issuer(let issuer) = signers[certificate.issuerKeyID] else {
                throw .certificate(.unknownIssuer(certificate.issuerKeyID))
            }
            guard certificate.isSigned(by: issuer) else { throw .certificate(.invalidSignature) }
            let deviceKeyID = certificate.deviceKeyID
            switch signers[deviceKeyID] {
            case .issuer:
                throw .certificate(.keyIDCollision(deviceKeyID))
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
