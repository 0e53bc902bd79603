import Foundation

/// Where webhooks may go. In production only to public addresses over HTTPS: no loopback,
/// private, link-local, carrier-grade NAT, multicast or reserved address — checked when an
/// endpoint is registered (for an address written in the URL) and again for every address its
/// host resolves to at each delivery, which then connects to the address it checked (so a DNS
/// answer cannot change between the check and the connection). `allowsPrivateTargets`
/// (development only) also allows plain HTTP and those addresses.
struct WebhookTarget: Sendable, Equatable {
    let url: URL
    /// The host as the URL names it (an IPv6 address without brackets).
    let host: String
    let port: Int

    static let maximumURLLength = 2_000

    /// The endpoint URL `text`, or why it cannot be one.
    init(_ text: String, allowsPrivateTargets: Bool) throws(DomainError) {
        let problem = { (why: String) in DomainError.validation("url", why) }
        guard text.utf8.count <= Self.maximumURLLength, let components = URLComponents(string: text), let url = components.url,
            let scheme = components.scheme?.lowercased(), var host = components.host, !host.isEmpty
        else { throw problem("must be an absolute https:// URL") }
        guard components.user == nil, components.password == nil else { throw problem("must not carry a user or password") }
        guard components.fragment == nil else { throw problem("must not have a #fragment") }
        guard scheme == "https" || (scheme == "http" && allowsPrivateTargets) else {
            throw problem(allowsPrivateTargets ? "must be http:// or https://" : "must be https://")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else { throw problem("has a port outside 1 to 65535") }
        if !allowsPrivateTargets {
            if let address = IPAddress(host), !address.isPublic {
                throw problem("must not point at a private, loopback or link-local address")
            }
            let lowered = host.lowercased()
            guard lowered != "localhost", !lowered.hasSuffix(".localhost"), !lowered.hasSuffix(".local"),
                !lowered.hasSuffix(".internal")
            else { throw problem("must not point at this machine or a private network") }
        }
        self.url = url
        self.host = host
        self.port = port
    }
}

/// An IPv4 or IPv6 address, and whether it is on the public internet.
enum IPAddress: Equatable, Sendable {
    case v4([UInt8])
    case v6([UInt8])

    /// Parses a literal address (`192.0.2.1`, `2001:db8::1`); nil for a host name.
    init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = .v4(withUnsafeBytes(of: &v4) { Array($0) })
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: &v6) { Array($0) })
        } else {
            return nil
        }
    }

    var text: String {
        switch self {
        case .v4(let bytes): return bytes.map(String.init).joined(separator: ".")
        case .v6(let bytes):
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
            return String(cString: buffer)
        }
    }

    /// Whether the address is routable on the public internet (RFC 6890's special-purpose
    /// ranges are not; an IPv4-mapped IPv6 address is judged as its IPv4 address).
    var isPublic: Bool {
        switch self {
        case .v4(let b):
            switch (b[0], b[1]) {
            case (0, _), (10, _), (127, _), (169, 254), (192, 168): return false
            case (100, let second) where (64...127).contains(second): return false  // carrier-grade NAT
            case (172, let second) where (16...31).contains(second): return false
            case (192, 0) where b[2] == 0 || b[2] == 2: return false  // IETF protocol assignments, TEST-NET-1
            case (198, let second) where second == 18 || second == 19: return false  // benchmarking
            case (198, 51) where b[2] == 100, (203, 0) where b[2] == 113: return false  // TEST-NET-2, -3
            default: return b[0] < 224  // multicast and reserved above
            }
        case .v6(let b):
            if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xFF, b[11] == 0xFF { return IPAddress.v4(Array(b[12...])).isPublic }
            if b[0..<15].allSatisfy({ $0 == 0 }) { return false }  // :: and ::1
            if b[0] == 0xFF { return false }  // multicast
            if b[0] & 0xFE == 0xFC { return false }  // unique local fc00::/7
            if b[0] == 0xFE, b[1] & 0xC0 == 0x80 { return false }  // link-local fe80::/10
            if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0D, b[3] == 0xB8 { return false }  // documentation 2001:db8::/32
            if b[0] == 0x00, b[1] == 0x64, b[2] == 0xFF, b[3] == 0x9B { return false }  // NAT64 64:ff9b::/96 (may reach IPv4 private)
            return true
        }
    }
}
