import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A browser-like client for the server-rendered site: keeps cookies, never follows
/// redirects (tests look at them), sends forms urlencoded with the CSRF token.
public actor WebClient {
    public let baseURL: String
    private var cookies: [String: String] = [:]
    private static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    public init(port: Int, host: String = "localhost") {
        baseURL = "http://\(host):\(port)"
    }

    /// The value of a cookie the server set (nil once deleted).
    public func cookie(_ name: String) -> String? { cookies[name] }

    /// The `Cookie` header this browser sends (for a request made outside it, such as an event stream).
    public var cookieHeader: String { cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

    /// Sends `value` as cookie `name` from now on (a copied or stolen cookie).
    public func setCookie(_ name: String, _ value: String) { cookies[name] = value }

    public func get(_ path: String) async throws -> WebPage {
        try await send(.GET, path, body: nil, headers: [])
    }

    /// Posts `fields` as a form; the CSRF cookie's value goes along as `_csrf` unless `csrf` says otherwise.
    public func post(
        _ path: String, _ fields: [(String, String)] = [], csrf: String? = nil, headers: [(String, String)] = []
    ) async throws -> WebPage {
        var all = fields
        if let token = csrf ?? cookies["spot_csrf"] { all.append(("_csrf", token)) }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(
            .POST, path, body: body, headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers)
    }

    /// Posts fields whose values are sent exactly as given (already percent-encoded: `%00`,
    /// `%FF`), with the CSRF token.
    public func post(_ path: String, encodedFields fields: [(String, String)]) async throws -> WebPage {
        var all = fields.map { (Self.encode($0.0), $0.1) }
        if let token = cookies["spot_csrf"] { all.append(("_csrf", Self.encode(token))) }
        return try await send(
            .POST, path, body: all.map { "\($0.0)=\($0.1)" }.joined(separator: "&"),
            headers: [("Content-Type", "application/x-www-form-urlencoded")])
    }

    private static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    private func send(_ method: HTTPMethod, _ path: String, body: String?, headers: [(String, String)]) async throws -> WebPage {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if !cookies.isEmpty {
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 8 * 1024 * 1024)
        for header in response.headers["Set-Cookie"] {
            let pair = header.split(separator: ";", maxSplits: 1)[0].split(
                separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = String(pair[0]).trimmingCharacters(in: .whitespaces)
            let value = String(pair[1])
            if value.isEmpty || header.lowercased().contains("max-age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return WebPage(status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
    }
}

/// A page (or redirect) as the site answered it.
public struct WebPage: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: Data

    public var html: String { String(decoding: body, as: UTF8.self) }

    /// The value of the first `<input … name="NAME" value="…">` on the page.
    public func field(_ name: String) -> String? {
        let pattern = #"name="\#(name)" value="([^"]*)""#
        guard let regex = try? Regex(pattern), let match = html.firstMatch(of: regex), let value = match.output[1].substring
        else { return nil }
        return String(value)
    }
    public var location: String? { headers.first(name: "Location") }
    public var setCookies: [String] { headers["Set-Cookie"] }
}
