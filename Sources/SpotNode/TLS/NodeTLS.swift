import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The node's HTTPS material in `DATA/tls/`: the venue CA's certificate (`venue-ca.pem`) and,
/// on a node that issues, its key (`venue-ca.key`), and this node's certificate and key
/// (`node.pem`, `node.key`). Keys are written mode 0600. Made by `spot node tls`; a node
/// certificate with less than ``VenueCertificates/renewalWindow`` left is renewed when the node
/// starts, if the CA key is here.
public struct NodeTLS: Sendable {
    public let authority: Certificate
    public let certificate: Certificate
    let keyPEM: String

    /// The file names under `DATA/tls/`.
    enum File: String, CaseIterable {
        case authority = "venue-ca.pem"
        case authorityKey = "venue-ca.key"
        case certificate = "node.pem"
        case key = "node.key"

        var isSecret: Bool { self == .authorityKey || self == .key }
    }

    static func directory(data: String) -> String { (data as NSString).appendingPathComponent("tls") }

    static func path(_ file: File, data: String) -> String {
        (directory(data: data) as NSString).appendingPathComponent(file.rawValue)
    }

    /// Makes this node's certificate for `names` and `addresses`, signed by the venue CA:
    /// the one given (shared by the venue's nodes), else the one already in `DATA/tls/`, else a new one.
    public static func setUp(
        data: String, venueName: String, nodeName: String, names: [String], addresses: [LANAddress],
        importing shared: (certificatePEM: String, keyPEM: String)? = nil, now: Date
    ) throws(NodeTLSError) -> NodeTLS {
        guard !names.isEmpty || !addresses.isEmpty else { throw .nothingToCertify }
        let (authority, authorityKey): (Certificate, Certificate.PrivateKey)
        if let shared {
            (authority, authorityKey) = try parseAuthority(certificatePEM: shared.certificatePEM, keyPEM: shared.keyPEM)
        } else if FileManager.default.fileExists(atPath: path(.authority, data: data)) {
            guard let keyPEM = try read(.authorityKey, data: data) else { throw .authorityKeyMissing }
            (authority, authorityKey) = try parseAuthority(certificatePEM: try read(.authority, data: data) ?? "", keyPEM: keyPEM)
        } else {
            do {
                (authority, authorityKey) = try VenueCertificates.makeAuthority(venueName: venueName, now: now)
            } catch {
                throw .unusable("a new venue CA", "\(error)")
            }
        }
        return try issue(
            data: data, nodeName: nodeName, names: names, addresses: addresses, authority: authority, authorityKey: authorityKey,
            now: now)
    }

    /// The node's HTTPS material, renewed first when due; nil when `spot node tls` never ran here.
    public static func load(data: String, now: Date) throws(NodeTLSError) -> (tls: NodeTLS, renewed: Bool)? {
        guard let certificatePEM = try read(.certificate, data: data) else { return nil }
        guard let keyPEM = try read(.key, data: data), let authorityPEM = try read(.authority, data: data) else {
            throw .incomplete(directory(data: data))
        }
        let certificate: Certificate, authority: Certificate
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
            authority = try Certificate(pemEncoded: authorityPEM)
        } catch {
            throw .unusable(directory(data: data), "\(error)")
        }
        let tls = NodeTLS(authority: authority, certificate: certificate, keyPEM: keyPEM)
        guard certificate.notValidAfter.timeIntervalSince(now) < VenueCertificates.renewalWindow else { return (tls, false) }
        guard let authorityKeyPEM = try read(.authorityKey, data: data) else {
            if certificate.notValidAfter > now { return (tls, false) }
            throw .expired(certificate.notValidAfter)
        }
        let (_, authorityKey) = try parseAuthority(certificatePEM: authorityPEM, keyPEM: authorityKeyPEM)
        let renewed = try issue(
            data: data, nodeName: tls.nodeName, names: tls.names, addresses: tls.addresses, authority: authority,
            authorityKey: authorityKey, now: now)
        return (renewed, true)
    }

    /// The names the certificate is for.
    public var names: [String] {
        (try? certificate.extensions.subjectAlternativeNames)??.compactMap {
            if case .dnsName(let name) = $0 { name } else { nil }
        } ?? []
    }

    /// The addresses the certificate is for.
    public var addresses: [LANAddress] {
        (try? certificate.extensions.subjectAlternativeNames)??.compactMap { name -> LANAddress? in
            guard case .ipAddress(let octets) = name else { return nil }
            return LANAddress(bytes: Array(octets.bytes))
        } ?? []
    }

    var nodeName: String {
        certificate.subject.compactMap { $0.first { $0.type == .RDNAttributeType.commonName } }.first.map { "\($0.value)" }
            ?? "HVFLVSPOT node"
    }

    public var expiresAt: Date { certificate.notValidAfter }

    /// The venue CA's certificate as phones install it (DER, served as `venue-ca.crt`).
    public var authorityDER: [UInt8] {
        var serializer = DER.Serializer()
        try? serializer.serialize(authority)
        return serializer.serializedBytes
    }

    public var authorityFingerprint: String { (try? VenueCertificates.fingerprint(authority)) ?? "" }

    /// What the node's HTTPS listener presents: its certificate, then the venue CA's.
    public func serverConfiguration() throws(NodeTLSError) -> TLSConfiguration {
        do {
            let chain = try [certificate, authority].map { try NIOSSLCertificate(bytes: Array($0.serializeAsPEM().pemString.utf8), format: .pem) }
            let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        } catch {
            throw .unusable("the node certificate", "\(error)")
        }
    }

    private static func issue(
        data: String, nodeName: String, names: [String], addresses: [LANAddress], authority: Certificate,
        authorityKey: Certificate.PrivateKey, now: Date
    ) throws(NodeTLSError) -> NodeTLS {
        do {
            let (certificate, key) = try VenueCertificates.makeNodeCertificate(
                nodeName: nodeName, names: names, addresses: addresses, authority: authority, authorityKey: authorityKey, now: now)
            let keyPEM = try key.serializeAsPEM().pemString
            try FileManager.default.createDirectory(atPath: directory(data: data), withIntermediateDirectories: true)
            try write(.authority, try authority.serializeAsPEM().pemString, data: data)
            try write(.authorityKey, try authorityKey.serializeAsPEM().pemString, data: data)
            try write(.certificate, try certificate.serializeAsPEM().pemString, data: data)
            try write(.key, keyPEM, data: data)
            return NodeTLS(authority: authority, certificate: certificate, keyPEM: keyPEM)
        } catch let error as NodeTLSError {
            throw error
        } catch {
            throw .unusable(directory(data: data), "\(error)")
        }
    }

    private static func parseAuthority(
        certificatePEM: String, keyPEM: String
    ) throws(NodeTLSError) -> (Certificate, Certificate.PrivateKey) {
        let certificate: Certificate, key: Certificate.PrivateKey
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
            key = try Certificate.PrivateKey(pemEncoded: keyPEM)
        } catch {
            throw .unusable("the venue CA", "\(error)")
        }
        guard case .isCertificateAuthority = try? certificate.extensions.basicConstraints else { throw .notAnAuthority }
        guard key.publicKey == certificate.publicKey else { throw .keyDoesNotMatch }
        return (certificate, key)
    }

    private static func read(_ file: File, data: String) throws(NodeTLSError) -> String? {
        let path = path(file, data: data)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unusable(path, "\(error)")
        }
    }

    /// Writes through a temporary file and a rename: a crash never leaves half a key.
    private static func write(_ file: File, _ text: String, data: String) throws {
        let path = path(file, data: data)
        let temporary = path + ".new"
        guard FileManager.default.createFile(
            atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: file.isSecret ? 0o600 : 0o644])
        else { throw NodeTLSError.unusable(temporary, "cannot be written") }
        guard rename(temporary, path) == 0 else { throw NodeTLSError.unusable(path, "cannot be replaced (errno \(errno))") }
    }
}

/// Why the node's HTTPS material cannot be made or used.
public enum NodeTLSError: Error, Equatable, Sendable, CustomStringConvertible {
    case nothingToCertify
    case authorityKeyMissing
    case notAnAuthority
    case keyDoesNotMatch
    case incomplete(String)
    case expired(Date)
    case unusable(String, String)

    public var description: String {
        switch self {
        case .nothingToCertify: "name at least one LAN name or address for the node certificate"
        case .authorityKeyMissing:
            "this node holds the venue CA's certificate but not its key: pass the CA with --ca-certificate and --ca-key"
        case .notAnAuthority: "the certificate given as the venue CA is not a CA certificate"
        case .keyDoesNotMatch: "the venue CA key does not belong to the venue CA certificate"
        case .incomplete(let directory): "\(directory) lacks node.key or venue-ca.pem: run 'spot node tls' again"
        case .expired(let date):
            "the node certificate expired on \(date) and this node cannot renew it (no venue CA key): run 'spot node tls' with the CA"
        case .unusable(let what, let why): "\(what): \(why)"
        }
    }
}
