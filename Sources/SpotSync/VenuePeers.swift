import Foundation
import SpotCore

/// `POST /api/v1/sync/peers` (protocol 2, `sync-v2.md` §6.5): a node says at which LAN base
/// URLs its peers reach it, and learns the venue's other active nodes and theirs — the venue
/// mesh finds itself (`peer-v1.md` §1).
public struct PeersRequest: SyncRequestMessage, Sendable, Equatable {
    public var protocolVersion: Int
    /// This node's base URLs on the venue LAN (`https://10.0.0.12:8443`), 0 to 8.
    public var advertise: [String]

    public init(protocolVersion: Int = SyncProtocolVersion.current.rawValue, advertise: [String]) {
        self.protocolVersion = protocolVersion
        self.advertise = advertise
    }

    /// The first advertised URL that is not a node's base URL, with why.
    public func problem() -> (field: String, message: String)? {
        guard FieldLimits.advertisedURLs.contains(advertise.count) else {
            return ("advertise", "must list at most \(FieldLimits.advertisedURLs.upperBound) base URLs")
        }
        for (index, url) in advertise.enumerated() {
            if let problem = Self.urlProblem(url) { return ("advertise[\(index)]", problem) }
        }
        return nil
    }

    /// Why `text` is not a node's base URL (`http[s]://HOST[:PORT]`, no path, query or user), if it is not.
    public static func urlProblem(_ text: String) -> String? {
        guard FieldLimits.advertisedURLLength.contains(text.count) else {
            return "must be \(FieldLimits.advertisedURLLength.lowerBound) to \(FieldLimits.advertisedURLLength.upperBound) characters"
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty, components.user == nil,
            components.password == nil, components.query == nil, components.fragment == nil,
            components.path.isEmpty || components.path == "/"
        else { return "must be a node's base URL: http[s]://HOST[:PORT]" }
        return nil
    }
}

/// The venue's other active nodes, each with the base URLs it last advertised, and the
/// organizer's settings for the venue's doors.
public struct PeersResponse: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    public var nodes: [VenuePeer]
    /// What a kiosk does when its node stops answering.
    public var kioskFailover: KioskFailover

    public init(protocolVersion: Int, nodes: [VenuePeer], kioskFailover: KioskFailover) {
        self.protocolVersion = protocolVersion
        self.nodes = nodes
        self.kioskFailover = kioskFailover
    }
}

/// One node of the venue as its peers see it. Its device key is certified in the trust bundle;
/// a node believes it only through that certificate (`peer-v1.md` §1), never through this list.
public struct VenuePeer: Codable, Sendable, Equatable {
    @LowercaseUUID public var nodeID: UUID
    public var name: String
    /// Base64 of its 32-byte Ed25519 device key.
    public var devicePublicKey: String
    /// Where it said its peers reach it (empty: it has not said).
    public var urls: [String]
    /// When it last synced.
    public var lastSeenAt: Date?

    public init(nodeID: UUID, name: String, devicePublicKey: String, urls: [String], lastSeenAt: Date?) {
        self.nodeID = nodeID
        self.name = name
        self.devicePublicKey = devicePublicKey
        self.urls = urls
        self.lastSeenAt = lastSeenAt
    }
}
