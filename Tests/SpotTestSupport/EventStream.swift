import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A Server-Sent Events stream read over a real socket, one event at a time (comments and
/// `retry` lines skipped). Read it from one task.
public final class EventStream {
    public struct Event: Sendable, Equatable {
        public let name: String
        public let data: String
    }

    public let status: Int
    public let headers: HTTPHeaders
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var pending = ""

    private init(status: Int, headers: HTTPHeaders, iterator: HTTPClientResponse.Body.AsyncIterator) {
        self.status = status
        self.headers = headers
        self.iterator = iterator
    }

    /// GETs `url` with `headers`; the stream stays open until the server ends it or `timeout` passes.
    public static func open(_ url: String, headers: [(String, String)], timeout: TimeAmount = .seconds(60)) async throws -> EventStream {
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        return EventStream(status: Int(response.status.code), headers: response.headers, iterator: response.body.makeAsyncIterator())
    }

    /// The next event with data; nil once the stream ended.
    public func next() async throws -> Event? {
        while true {
            if let end = pending.range(of: "\n\n") {
                let block = pending[..<end.lowerBound]
                pending.removeSubrange(..<end.upperBound)
                var name = "message"
                var data: [String] = []
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix("event:") { name = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                    if line.hasPrefix("data:") {
                        let value = line.dropFirst(5)
                        data.append(String(value.first == " " ? value.dropFirst() : value))
                    }
                }
                if !data.isEmpty { return Event(name: name, data: data.joined(separator: "\n")) }
                continue
            }
            guard let buffer = try await iterator.next() else { return nil }
            pending += String(buffer: buffer).replacingOccurrences(of: "\r\n", with: "\n")
        }
    }
}
