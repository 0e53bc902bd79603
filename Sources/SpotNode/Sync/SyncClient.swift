import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SpotSync

/// Why a sync request failed.
public enum SyncClientError: Error, Sendable, CustomStringConvertible {
    /// The server could not be reached or did not answer in time (try again later).
    case unreachable(String)
    /// The server answered with an error (its code and sentence).
    case server(status: Int, SyncErrorDetail)
    /// The server's answer could not be read.
    case invalidResponse(String)

    public var description: String {
        switch self {
        case .unreachable(let detail): "server unreachable: \(detail)"
        case .server(let status, let error): "server refused (\(status)): \(error.message) [\(error.code)]"
        case .invalidResponse(let detail): "unreadable server response: \(detail)"
        }
    }

    /// Whether retrying later can help (a down server) or not (a revoked node, a version mismatch).
    public var isTransient: Bool {
        switch self {
        case .unreachable: true
        case .server(let status, _): status >= 500 || status == 429
        case .invalidResponse: true
        }
    }

    var code: String? {
        if case .server(_, let detail) = self { return detail.code }
        return nil
    }
}

/// The node's HTTP client for sync protocol v1.
public struct SyncClient: Sendable {
    public let serverURL: String
    let http: HTTPClient
    let timeout: TimeAmount

    /// The node's HTTP client: a refused or unreachable server fails the request at once
    /// (within 5 s), since the sync service has its own backoff; responses may take 30 s.
    public static let nodeHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(serverURL: String, http: HTTPClient = SyncClient.nodeHTTPClient, timeout: TimeAmount = .seconds(60)) {
        self.serverURL = serverURL.hasSuffix("/") ? String(serverURL.dropLast()) : serverURL
        self.http = http
        self.timeout = timeout
    }

    public func enroll(_ request: EnrollRequest) async throws(SyncClientError) -> EnrollResponse {
        try await post("/api/v1/sync/enroll", request, token: nil)
    }

    public func snapshot(_ request: SnapshotRequest, token: String) async throws(SyncClientError) -> Snapshot {
        try await post("/api/v1/sync/snapshot", request, token: token)
    }

    public func pull(_ request: PullRequest, token: String) async throws(SyncClientError) -> PullPage {
        try await post("/api/v1/sync/pull", request, token: token)
    }

    public func push(_ request: PushRequest, token: String) async throws(SyncClientError) -> PushResponse {
        try await post("/api/v1/sync/push", request, token: token)
    }

    public func topUp(_ request: TopUpRequest, token: String) async throws(SyncClientError) -> SyncAllotment {
        try await post("/api/v1/sync/allotments", request, token: token)
    }

    /// Posts raw bytes (tests replay pushes byte for byte with this) and returns status and body.
    public func postRaw(_ path: String, body: Data, token: String?) async throws(SyncClientError) -> (Int, Data) {
        var request = HTTPClientRequest(url: serverURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "hvflvspot-node")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 256 * 1024 * 1024)
            return (Int(response.status.code), Data(bytes.readableBytesView))
        } catch {
            throw .unreachable(String(describing: error))
        }
    }

    private func post<Body: Encodable, Answer: Decodable>(
        _ path: String, _ body: Body, token: String?
    ) async throws(SyncClientError) -> Answer {
        let data: Data
        do {
            data = try SyncJSON.encoder.encode(body)
        } catch {
            throw .invalidResponse("cannot encode request: \(error)")
        }
        let (status, answer) = try await postRaw(path, body: data, token: token)
        guard (200..<300).contains(status) else {
            if let error = try? SyncJSON.decoder.decode(SyncErrorBody.self, from: answer) {
                throw .server(status: status, error.error)
            }
            throw .server(status: status, SyncErrorDetail(code: "http_\(status)", message: "HTTP \(status)"))
        }
        do {
            return try SyncJSON.decoder.decode(Answer.self, from: answer)
        } catch {
            throw .invalidResponse(String(describing: error))
        }
    }
}
