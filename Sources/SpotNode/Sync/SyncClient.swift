import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SpotCore
import SpotSync

/// Why a sync request failed.
public enum SyncClientError: Error, Sendable, CustomStringConvertible {
    /// The server could not be reached or went silent (try again later).
    case unreachable(String)
    /// The server answered with an error (its code and sentence).
    case server(status: Int, SyncErrorDetail)
    /// The server's answer could not be read.
    case invalidResponse(String)
    /// The node is stopping: the request was abandoned, nothing is wrong with the server.
    case cancelled

    public var description: String {
        switch self {
        case .unreachable(let detail): "server unreachable: \(detail)"
        case .server(_, let error) where error.code == ErrorCode.unsupportedProtocolVersion.rawValue:
            "the server does not speak this node's sync protocol: \(error.message); this node speaks v\(SyncProtocolVersion.current.rawValue), or v1 when started with --sync-protocol 1 [\(error.code)]"
        case .server(let status, let error): "server refused (\(status)): \(error.message) [\(error.code)]"
        case .invalidResponse(let detail): "unreadable server response: \(detail)"
        case .cancelled: "stopped"
        }
    }

    var code: String? {
        if case .server(_, let detail) = self { return detail.code }
        return nil
    }
}

/// The node's HTTP client for the sync protocol (`SyncProtocol/sync-v2.md` §5).
///
/// Liveness comes from the read timeout, not from how long a request may take: a server that
/// sends nothing (not even a held pull's heartbeat) for ``LivePull/silenceLimit`` is counted
/// unreachable, so a hung server shows as offline within seconds, while a held pull may last
/// its whole wait.
public struct SyncClient: Sendable {
    public let serverURL: String
    /// The version this node states in every request.
    public let protocolVersion: SyncProtocolVersion
    let live: HTTPClient
    let bulk: HTTPClient

    /// Connecting takes a LAN or internet round trip; a server that does not accept within this is down.
    public static let connectTimeout: TimeAmount = .seconds(2)
    /// A snapshot is built whole before its first byte is sent, so it may be silent this long.
    public static let snapshotSilenceLimit: TimeAmount = .seconds(120)
    /// The longest a request other than a held pull or a snapshot may take in all.
    public static let requestDeadline: TimeAmount = .seconds(60)

    /// Pulls, pushes and top-ups: silent for ``LivePull/silenceLimit`` means unreachable.
    public static let liveHTTPClient = makeHTTPClient(read: .nanoseconds(LivePull.silenceLimit.nanoseconds))
    /// Enrollment and snapshots, which a server may need longer to prepare.
    public static let bulkHTTPClient = makeHTTPClient(read: snapshotSilenceLimit)

    private static func makeHTTPClient(read: TimeAmount) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: connectTimeout, read: read)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public init(
        serverURL: String, protocolVersion: SyncProtocolVersion = .current,
        live: HTTPClient = SyncClient.liveHTTPClient, bulk: HTTPClient = SyncClient.bulkHTTPClient
    ) {
        self.serverURL = serverURL.hasSuffix("/") ? String(serverURL.dropLast()) : serverURL
        self.protocolVersion = protocolVersion
        self.live = live
        self.bulk = bulk
    }

    public func enroll(_ request: EnrollRequest) async throws(SyncClientError) -> EnrollResponse {
        try await post("/api/v1/sync/enroll", request, token: nil, via: bulk)
    }

    public func snapshot(_ request: SnapshotRequest, token: String) async throws(SyncClientError) -> Snapshot {
        try await post("/api/v1/sync/snapshot", request, token: token, via: bulk, deadline: .minutes(10))
    }

    /// The next page of the feed. When the request asks the server to wait, `reached` is called
    /// as soon as the server has answered (the page follows when the venue changes).
    public func pull(
        _ request: PullRequest, token: String, reached: @Sendable () -> Void = {}
    ) async throws(SyncClientError) -> PullPage {
        let deadline = Self.requestDeadline + .seconds(Int64(request.waitSeconds ?? 0))
        return try await post("/api/v1/sync/pull", request, token: token, via: live, deadline: deadline, reached: reached)
    }

    public func push(_ request: PushRequest, token: String) async throws(SyncClientError) -> PushResponse {
        try await post("/api/v1/sync/push", request, token: token, via: live)
    }

    /// Hands the server facts of this node's peers (protocol 2).
    public func relay(_ request: RelayRequest, token: String) async throws(SyncClientError) -> RelayResponse {
        try await post("/api/v1/sync/relay", request, token: token, via: live)
    }

    /// Says where this node is reached on the LAN; answers the venue's other nodes (protocol 2).
    public func peers(_ request: PeersRequest, token: String) async throws(SyncClientError) -> PeersResponse {
        try await post("/api/v1/sync/peers", request, token: token, via: live)
    }

    /// Asks for more seats; `deadline` bounds the whole request (door staff are waiting).
    public func topUp(_ request: TopUpRequest, token: String, deadline: TimeAmount) async throws(SyncClientError) -> SyncAllotment {
        try await post("/api/v1/sync/allotments", request, token: token, via: live, deadline: deadline)
    }

    /// Posts raw bytes (tests replay pushes byte for byte with this) and returns status and body.
    public func postRaw(_ path: String, body: Data, token: String?) async throws(SyncClientError) -> (Int, Data) {
        try await send(path, body: body, token: token, via: live, deadline: Self.requestDeadline, reached: {})
    }

    private func send(
        _ path: String, body: Data, token: String?, via http: HTTPClient, deadline: TimeAmount, reached: @Sendable () -> Void
    ) async throws(SyncClientError) -> (Int, Data) {
        var request = HTTPClientRequest(url: serverURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "hvflvspot-node")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, deadline: .now() + deadline)
            if (200..<300).contains(response.status.code) { reached() }
            let bytes = try await response.body.collect(upTo: 256 * 1024 * 1024)
            return (Int(response.status.code), Data(bytes.readableBytesView))
        } catch {
            if Task.isCancelled { throw .cancelled }
            throw .unreachable(Self.explain(error))
        }
    }

    /// A sentence for door staff and operators instead of the client library's case name.
    static func explain(_ error: any Error) -> String {
        guard let error = error as? HTTPClientError else { return String(describing: error) }
        switch error {
        case .readTimeout: return "the server went silent (no answer or heartbeat for \(LivePull.silenceLimit.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))))"
        case .connectTimeout: return "no connection within \(connectTimeout.nanoseconds / 1_000_000_000) s"
        case .deadlineExceeded: return "no complete answer in time"
        case .remoteConnectionClosed: return "the server closed the connection"
        default: return String(describing: error)
        }
    }

    private func post<Body: Encodable, Answer: Decodable>(
        _ path: String, _ body: Body, token: String?, via http: HTTPClient, deadline: TimeAmount = requestDeadline,
        reached: @Sendable () -> Void = {}
    ) async throws(SyncClientError) -> Answer {
        let data: Data
        do {
            data = try SyncJSON.encoder.encode(body)
        } catch {
            throw .invalidResponse("cannot encode request: \(error)")
        }
        let (status, answer) = try await send(path, body: data, token: token, via: http, deadline: deadline, reached: reached)
        guard (200..<300).contains(status) else {
            if let error = try? SyncJSON.decoder.decode(SyncErrorBody.self, from: answer) {
                throw .server(status: status, error.error)
            }
            throw .server(status: status, SyncErrorDetail(code: "http_\(status)", message: "HTTP \(status)"))
        }
        do {
            return try SyncJSON.decoder.decode(Answer.self, from: answer)
        } catch {
            // A held pull's status line is sent before its page: a failure while it waited
            // arrives as an error body (sync-v2.md §5.1) and is worth retrying.
            if let error = try? SyncJSON.decoder.decode(SyncErrorBody.self, from: answer) {
                throw .server(status: 503, error.error)
            }
            throw .invalidResponse(String(describing: error))
        }
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
