import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The scan benchmark's door scanners: keep-alive HTTP/1.1 connections on 127.0.0.1, each
/// driven by blocking socket calls on a thread of its own. At a real door the scanners are
/// other devices; here they share the node's two cores, so they should take as little of
/// them as a client can (a general HTTP client took a sixth of the machine).
public struct BenchLoadClient: Sendable {
    let port: Int

    public init(port: Int) {
        self.port = port
    }

    /// One connection: sends a request, reads the whole response (status line, headers,
    /// `Content-Length` body), returns its status code and body.
    public final class Connection {
        private let descriptor: Int32
        private var buffer: [UInt8] = []
        private var chunk = [UInt8](repeating: 0, count: 16_384)

        init(port: Int) throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw ToolingError("socket: \(String(cString: strerror(errno)))") }
            var noDelay: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard connected else {
                close(descriptor)
                throw ToolingError("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
            }
        }

        deinit { close(descriptor) }

        public func exchange(_ request: [UInt8]) throws -> (status: Int, body: ArraySlice<UInt8>) {
            var sent = 0
            while sent < request.count {
                let count = request.withUnsafeBytes { send(descriptor, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
                guard count > 0 else { throw ToolingError("send: \(String(cString: strerror(errno)))") }
                sent += count
            }
            while true {
                if let end = headEnd() {
                    let head = String(decoding: buffer[..<end], as: UTF8.self)
                    let status = Int(head.split(separator: " ", maxSplits: 2).dropFirst().first ?? "") ?? 0
                    let length = head.split(separator: "\r\n").lazy
                        .compactMap { line -> Int? in
                            let parts = line.split(separator: ":", maxSplits: 1)
                            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                            return Int(parts[1].trimmingCharacters(in: .whitespaces))
                        }.first ?? 0
                    while buffer.count < end + 4 + length { try fill() }
                    let body = buffer[(end + 4)..<(end + 4 + length)]
                    buffer.removeFirst(end + 4 + length)
                    return (status, body)
                }
                try fill()
            }
        }

        private func headEnd() -> Int? {
            guard buffer.count >= 4 else { return nil }
            for index in 0...(buffer.count - 4)
            where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
                return index
            }
            return nil
        }

        private func fill() throws {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            guard count > 0 else { throw ToolingError("the node closed the connection") }
            buffer.append(contentsOf: chunk[..<count])
        }
    }

    /// Runs `clients` connections at once, each sending its share of `requests` (client k sends
    /// k, k + clients, …) one after another; returns every request's latency.
    public func run(clients: Int, requests: [[UInt8]]) async throws -> [Duration] {
        let latencies = Mutex<[Duration]>([])
        try await runSessions(clients: clients) { client, connection in
            var mine: [Duration] = []
            for index in stride(from: client, to: requests.count, by: clients) {
                let sent = ContinuousClock.now
                let status = try connection.exchange(requests[index]).status
                guard status == 200 else { throw ToolingError("a scan was answered HTTP \(status)") }
                mine.append(ContinuousClock.now - sent)
            }
            latencies.withLock { $0 += mine }
        }
        return latencies.withLock { $0 }
    }

    /// Runs `session` on `clients` connections at once, each on a thread of its own, and
    /// returns when all have ended; the first error any of them throws is rethrown.
    public func runSessions(
        clients: Int, _ session: @escaping @Sendable (_ client: Int, _ connection: Connection) throws -> Void
    ) async throws {
        let failure = Mutex<String?>(nil)
        let finished = DispatchSemaphore(value: 0)
        for client in 0..<clients {
            let thread = Thread { [port] in
                defer { finished.signal() }
                do {
                    try session(client, try Connection(port: port))
                } catch {
                    failure.withLock { $0 = $0 ?? "\(error)" }
                }
            }
            thread.start()
        }
        // Wait off the cooperative pool: the server or node under test may run there.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                for _ in 0..<clients { finished.wait() }
                continuation.resume()
            }.start()
        }
        if let failure = failure.withLock({ $0 }) { throw ToolingError(failure) }
    }
}
