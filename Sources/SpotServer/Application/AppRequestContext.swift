import Foundation
import Hummingbird
import NIOCore

/// The request context of the server's routes: who is calling (set by the
/// authenticator), where from, and the API's JSON conventions and body limit.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller, once ``Authenticator`` has run.
    public var identity: Identity?
    /// The peer's IP address (no port), used for per-address rate limits.
    public let clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// API bodies are small; anything past 64 KiB is refused with 413.
    public var maxUploadSize: Int { 64 * 1024 }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }

    /// The caller, or 401.
    func requireIdentity() throws -> Identity {
        guard let identity else { throw APIError.unauthorized }
        return identity
    }
}
