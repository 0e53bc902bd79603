import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A small JSON client for tests against a server on real sockets.
public struct APIClient: Sendable {
    public let baseURL: String
    /// Sent as `Authorization: Bearer …` when a call passes no token of its own.
    public var bearerToken: String?

    public init(port: Int, host: String = "127.0.0.1") {
        baseURL = "http://\(host):\(port)"
    }

    /// This client, sending `token` with every call.
    public func authorized(_ token: String) -> APIClient {
        var client = self
        client.bearerToken = token
        return client
    }

    /// Sends a request; `json` is serialized with JSONSerialization (so tests write plain dictionaries).
    public func send(
        _ method: HTTPMethod, _ path: String, json: [String: any Sendable]? = nil, body: Data? = nil, token: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> APIResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token = token ?? bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let payload = try json.map { try JSONSerialization.data(withJSONObject: $0) } ?? body
        if let payload {
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                request.headers.add(name: "Content-Type", value: "application/json")
            }
            request.body = .bytes(ByteBuffer(bytes: payload))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 32 * 1024 * 1024)
        return APIResponse(
            status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
    }

    public func get(_ path: String, token: String? = nil) async throws -> APIResponse {
        try await send(.GET, path, token: token)
    }

    public func post(
        _ path: String, _ json: [String: any Sendable]? = nil, token: String? = nil, headers: [(String, String)] = []
    ) async throws -> APIResponse {
        try await send(.POST, path, json: json, token: token, headers: headers)
    }

    public func patch(_ path: String, _ json: [String: any Sendable], token: String? = nil) async throws -> APIResponse {
        try await send(.PATCH, path, json: json, token: token)
    }

    public func delete(_ path: String, token: String? = nil) async throws -> APIResponse {
        try await send(.DELETE, path, token: token)
    }
}

/// A response with easy access to its JSON.
public struct APIResponse: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: Data

    public init(status: Int, headers: HTTPHeaders, body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as a JSON value (`nil` if it is not JSON).
    public var json: JSON { JSON((try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])) ?? NSNull()) }

    /// The `error.code` of an error response.
    public var errorCode: String? { json["error"]["code"].string }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Read-only navigation of a decoded JSON value.
public struct JSON: @unchecked Sendable, CustomStringConvertible {
    public let value: Any

    public init(_ value: Any) { self.value = value }

    public subscript(key: String) -> JSON { JSON((value as? [String: Any])?[key] ?? NSNull()) }
    public subscript(index: Int) -> JSON {
        guard let array = value as? [Any], array.indices.contains(index) else { return JSON(NSNull()) }
        return JSON(array[index])
    }

    public var string: String? { value as? String }
    public var int: Int? { (value as? NSNumber)?.intValue }
    public var bool: Bool? { value as? Bool }
    public var array: [JSON] { (value as? [Any])?.map(JSON.init) ?? [] }
    public var object: [String: JSON] { (value as? [String: Any])?.mapValues(JSON.init) ?? [:] }
    public var isNull: Bool { value is NSNull }

    public var description: String {
        guard JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        else { return String(describing: value) }
        return String(decoding: data, as: UTF8.self)
    }
}
