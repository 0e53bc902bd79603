import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// POSTs one delivery: resolves the endpoint's host, refuses it unless every address it
/// resolves to is public (``WebhookTarget``, unless private targets are allowed), connects to
/// the address it checked (TLS still verifies the host name), follows no redirect, and waits at
/// most ``timeout``. A 2xx is delivered; 410 Gone gives the delivery up at once; anything else
/// is tried again.
struct WebhookSender: Sendable {
    let allowsPrivateTargets: Bool

    static let timeout: TimeAmount = .seconds(10)
    static let userAgent = "HVFLVSPOT-Webhooks/1"

    struct Failure: Error, Sendable, CustomStringConvertible, DeliveryFailure {
        let description: String
        let isPermanent: Bool
        /// The endpoint's status code, when it answered.
        let status: Int?
    }

    /// Delivers `payload` to `url`; the endpoint's status code.
    func send(
        _ payload: String, type: WebhookEventType, delivery: UUID, to url: String, secret: String, now: Date
    ) async throws -> Int {
        let target: WebhookTarget
        do {
            target = try WebhookTarget(url, allowsPrivateTargets: allowsPrivateTargets)
        } catch {
            throw Failure(
                description: "the endpoint's URL is no longer allowed: \(error.fields?["url"] ?? error.message)", isPermanent: true,
                status: nil)
        }
        let address = try await resolve(target)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: Self.timeout))
        if IPAddress(target.host) == nil { configuration.dnsOverride = [target.host: address.text] }
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        defer { client.shutdown { _ in } }
        let body = Array(payload.utf8)
        var request = HTTPClientRequest(url: target.url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: Self.userAgent)
        request.headers.add(name: "HVFLVSPOT-Event-Type", value: type.rawValue)
        request.headers.add(name: "HVFLVSPOT-Delivery", value: delivery.lowercasedText)
        request.headers.add(
            name: WebhookSignature.header,
            value: WebhookSignature.header(secret: secret, timestamp: Int64(now.timeIntervalSince1970), body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: Self.timeout)
            _ = try await response.body.collect(upTo: 64 * 1024)
        } catch {
            throw Failure(description: "the endpoint did not answer: \(error)", isPermanent: false, status: nil)
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            throw Failure(
                description: "the endpoint answered HTTP \(status)", isPermanent: status == 410, status: status)
        }
        return status
    }

    /// The address to connect to: the host's first, after every one it resolves to passed the check.
    private func resolve(_ target: WebhookTarget) async throws -> IPAddress {
        if let literal = IPAddress(target.host) { return literal }
        let host = target.host
        let addresses = try await NIOThreadPool.singleton.runIfActive { try Self.lookUp(host) }
        guard let first = addresses.first else {
            throw Failure(description: "the endpoint's host \(host) does not resolve", isPermanent: false, status: nil)
        }
        if !allowsPrivateTargets, let blocked = addresses.first(where: { !$0.isPublic }) {
            throw Failure(
                description: "the endpoint's host \(host) resolves to \(blocked.text), which is not a public address",
                isPermanent: true, status: nil)
        }
        return first
    }

    /// getaddrinfo's answers for `host` (blocking: run on a thread pool).
    private static func lookUp(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            switch entry.pointee.ai_family {
            case AF_INET:
                let bytes = entry.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                }
                addresses.append(.v4(bytes))
            case AF_INET6:
                let bytes = entry.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
                addresses.append(.v6(bytes))
            default: break
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}
