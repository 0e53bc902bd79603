import Foundation
import Hummingbird
import NIOCore

/// The request context of the server's routes: who is calling (set by the
/// authenticator), where from, and the API's JSON conventions and body limit.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller, once ``Authenticator`` has run.
    public var identity: Identity?
    /// The authenticated venue node, once ``NodeAuthenticator`` has run (sync routes only).
    var node: AuthenticatedNode?
    /// The largest body a route reads: 64 KiB, raised for sync pushes.
    var uploadLimit = 64 * 1024
    /// The web site's view of a browser request (session user, CSRF token, form).
    var web = WebState()
    /// The peer's IP address (no port), used for per-address rate limits.
    public let clientAddress: String
    /// The connection the request came on (a held sync pull beats on its event loop).
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        channel = source.channel
    }

    /// API bodies are small; anything past ``uploadLimit`` is refused with 413.
    public var maxUploadSize: Int { uploadLimit }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }

    /// The authenticated node, or 401.
    func requireNode() throws -> AuthenticatedNode {
        guard let node else { throw DomainError.unauthenticated("Send the node's device credential.", code: .unauthorized) }
        return node
    }

    /// The caller, or 401.
    func requireIdentity() throws -> Identity {
        guard let identity else { throw DomainError.unauthenticated }
        return identity
    }
}
