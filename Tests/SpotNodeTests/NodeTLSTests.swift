import Foundation
import SpotTestSupport
import Testing
import X509

@testable import SpotNode

/// The node's HTTPS material on a real data directory: a venue CA, node certificates for LAN
/// names and addresses, sharing the CA between nodes, renewal, and refusals.
@Suite("HTTPS on the venue LAN: venue CA and node certificates")
struct NodeTLSTests {
    let now = Date()

    @Test("A new venue CA signs a node certificate for the names and addresses given; keys are 0600; the files load again")
    func setUp() throws {
        let data = try makeTemporaryDirectory("spot-tls").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let addresses = ["127.0.0.1", "192.168.1.20", "::1"].compactMap(LANAddress.init)
        let tls = try NodeTLS.setUp(
            data: data, venueName: "Harbour Hall", nodeName: "Door A", names: ["door-a.local", "localhost"], addresses: addresses,
            now: now)
        #expect(tls.names == ["door-a.local", "localhost"])
        #expect(tls.addresses.map(\.description) == ["127.0.0.1", "192.168.1.20", "::1"])
        #expect(tls.certificate.issuer == tls.authority.subject)
        #expect(tls.authority.publicKey.isValidSignature(tls.certificate.signature, for: tls.certificate))
        #expect(tls.authority.publicKey.isValidSignature(tls.authority.signature, for: tls.authority), "self-signed")
        #expect(try tls.authority.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(try tls.certificate.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try tls.certificate.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        let days = tls.expiresAt.timeIntervalSince(now) / 86_400
        #expect(days > 396.99 && days < 397.01, "\(days) days")
        #expect(tls.authorityFingerprint.count == 95, "32 bytes as AB:CD:…")
        for file in NodeTLS.File.allCases {
            let attributes = try FileManager.default.attributesOfItem(atPath: NodeTLS.path(file, data: data))
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == (file.isSecret ? 0o600 : 0o644), "\(file.rawValue): \(String(mode ?? 0, radix: 8))")
        }
        let loaded = try #require(try NodeTLS.load(data: data, now: now))
        #expect(!loaded.renewed)
        #expect(loaded.tls.certificate == tls.certificate && loaded.tls.authority == tls.authority)
        _ = try loaded.tls.serverConfiguration()
        // Running it again keeps the venue CA (phones trusted it) and makes a new node certificate.
        let again = try NodeTLS.setUp(
            data: data, venueName: "Harbour Hall", nodeName: "Door A", names: ["door-a.lan"], addresses: [], now: now)
        #expect(again.authority == tls.authority && again.certificate != tls.certificate && again.names == ["door-a.lan"])
        #expect(try NodeTLS.load(data: makeTemporaryDirectory("spot-tls-none").path, now: now) == nil, "never set up")
    }

    @Test("A second node of the venue shares the first one's CA; a mismatched key or a CA that is not one is refused")
    func sharedAuthority() throws {
        let first = try makeTemporaryDirectory("spot-tls-a").path
        let second = try makeTemporaryDirectory("spot-tls-b").path
        defer { for path in [first, second] { try? FileManager.default.removeItem(atPath: path) } }
        let a = try NodeTLS.setUp(data: first, venueName: "Hall", nodeName: "Door A", names: ["door-a.local"], addresses: [], now: now)
        let pem = { (file: NodeTLS.File, data: String) in try String(contentsOfFile: NodeTLS.path(file, data: data), encoding: .utf8) }
        let b = try NodeTLS.setUp(
            data: second, venueName: "Hall", nodeName: "Door B", names: ["door-b.local"], addresses: [],
            importing: (try pem(.authority, first), try pem(.authorityKey, first)), now: now)
        #expect(b.authority == a.authority && b.authorityFingerprint == a.authorityFingerprint)
        #expect(a.authority.publicKey.isValidSignature(b.certificate.signature, for: b.certificate))
        let other = try makeTemporaryDirectory("spot-tls-c").path
        defer { try? FileManager.default.removeItem(atPath: other) }
        let c = try NodeTLS.setUp(data: other, venueName: "Hall", nodeName: "Door C", names: ["door-c.local"], addresses: [], now: now)
        #expect(c.authority != a.authority)
        #expect(throws: NodeTLSError.keyDoesNotMatch) {
            try NodeTLS.setUp(
                data: other, venueName: "Hall", nodeName: "Door C", names: ["c"], addresses: [],
                importing: (try pem(.authority, first), try pem(.authorityKey, other)), now: now)
        }
        #expect(throws: NodeTLSError.notAnAuthority) {
            try NodeTLS.setUp(
                data: other, venueName: "Hall", nodeName: "Door C", names: ["c"], addresses: [],
                importing: (try pem(.certificate, first), try pem(.key, first)), now: now)
        }
        #expect(throws: NodeTLSError.nothingToCertify) {
            try NodeTLS.setUp(data: other, venueName: "Hall", nodeName: "Door C", names: [], addresses: [], now: now)
        }
    }

    @Test("Within 30 days of expiry the node certificate is renewed at start for the same names; without the CA key an expired one is refused")
    func renewal() throws {
        let data = try makeTemporaryDirectory("spot-tls-renew").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let tls = try NodeTLS.setUp(
            data: data, venueName: "Hall", nodeName: "Door A", names: ["door-a.local"],
            addresses: [LANAddress("10.0.0.5")!], now: now)
        let early = try #require(try NodeTLS.load(data: data, now: tls.expiresAt.addingTimeInterval(-31 * 86_400)))
        #expect(!early.renewed)
        let due = tls.expiresAt.addingTimeInterval(-29 * 86_400)
        let renewed = try #require(try NodeTLS.load(data: data, now: due))
        #expect(renewed.renewed)
        #expect(renewed.tls.expiresAt > tls.expiresAt)
        #expect(renewed.tls.names == ["door-a.local"] && renewed.tls.addresses.map(\.description) == ["10.0.0.5"])
        #expect(renewed.tls.authority == tls.authority)
        #expect(try NodeTLS.load(data: data, now: due)?.renewed == false, "the renewal was written")
        // A node that holds only the CA certificate cannot renew: it serves until expiry, then stops with a clear error.
        try FileManager.default.removeItem(atPath: NodeTLS.path(.authorityKey, data: data))
        let late = renewed.tls.expiresAt.addingTimeInterval(-86_400)
        #expect(try NodeTLS.load(data: data, now: late)?.renewed == false)
        #expect(throws: NodeTLSError.expired(renewed.tls.expiresAt)) {
            try NodeTLS.load(data: data, now: renewed.tls.expiresAt.addingTimeInterval(1))
        }
    }

    @Test("LAN addresses: IPv4 and IPv6 text and bytes, nothing else; this machine has at least its loopback")
    func addresses() {
        #expect(LANAddress("192.168.1.20")?.bytes == [192, 168, 1, 20])
        #expect(LANAddress("::1")?.bytes == Array(repeating: 0, count: 15) + [1])
        #expect(LANAddress(bytes: [10, 0, 0, 1])?.description == "10.0.0.1")
        for bad in ["", "256.1.1.1", "door.local", "1.2.3", "fe80::1%eth0", "1.2.3.4\n"] { #expect(LANAddress(bad) == nil, "\(bad)") }
        #expect(LANAddress(bytes: [1, 2, 3]) == nil)
        #expect(LANAddress.ofThisMachine().contains(LANAddress("127.0.0.1")!))
    }
}
