import Foundation
import Hummingbird
import SpotCore
import SpotSync

/// `/api/v1/sync/*`: sync protocol v1 for venue nodes (`SyncProtocol/README.md`).
/// Every request states its protocol version, checked before anything else is read;
/// every route but enrollment needs the node's device credential.
struct SyncController: Sendable {
    let nodes: NodeRepository
    let sync: SyncService
    let wokenPulls: WokenPullReader
    let pushes: PushApplier
    let relays: RelayApplier
    let signals: SyncSignals
    let idlePulls: IdlePullCache
    let heartbeats: HeartbeatPacer
    let contacts: NodeContacts
    let answers: PullAnswerEncoder
    /// The protocol versions this server serves (``ServerConfiguration/syncProtocols``).
    let served: [SyncProtocolVersion]
    let clock: ServerClock

    /// A push of 1,000 scans is a few hundred KiB; sales carry their ticket payloads.
    static let pushUploadLimit = 4 * 1024 * 1024

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("enroll", use: enroll)
        group.post("snapshot", use: snapshot)
        group.post("pull", use: pull)
        group.post("push", use: push)
        group.post("relay", use: relay)
        group.post("peers", use: peers)
        group.post("allotments", use: topUp)
    }

    @Sendable func enroll(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<EnrollResponse> {
        let (body, version) = try await decode(EnrollRequest.self, request, context)
        guard let raw = Data(base64Encoded: body.devicePublicKey), raw.count == 32 else {
            throw APIError.validation("device_public_key", "must be a 32-byte Ed25519 public key in base64")
        }
        var validator = Validator()
        let name = validator.text(body.name, "name", required: false, maxLength: 100)
        validator.check(!body.code.isEmpty && body.code.count <= 64, "code", "must be an enrollment code")
        try validator.throwIfInvalid()
        let response = try await nodes.enroll(
            code: body.code, devicePublicKey: raw, name: name, version: version, now: clock.now(), logger: context.logger)
        return EditedResponse(status: .created, response: response)
    }

    @Sendable func snapshot(_ request: Request, context: AppRequestContext) async throws -> Snapshot {
        let node = try context.requireNode()
        let (body, version) = try await decode(SnapshotRequest.self, request, context)
        return try await sync.snapshot(for: node, request: body, version: version, now: clock.now(), logger: context.logger)
    }

    /// The next page of the feed. In v2, when the feed has nothing new, the node's state is
    /// current (its `state_digest` is the page's) and it asked to wait, the pull is held open
    /// (``HeldPull``) until the venue changes or the wait ends.
    @Sendable func pull(_ request: Request, context: AppRequestContext) async throws -> Response {
        let node = try context.requireNode()
        let (body, version) = try await decode(PullRequest.self, request, context)
        let wait = version >= .livePull ? body.waitSeconds ?? 0 : 0
        // The mark comes before the read: a change committed after the read still wakes the wait.
        let mark = signals.mark(of: node.venueID)
        let key = IdlePullCache.Key(
            cursor: body.cursor, outboxDepth: body.outboxDepth, version: version, stateDigest: body.stateDigest)
        var read: FeedRead
        let cached = wait > 0 && signals.isListening ? idlePulls.page(for: node.id, key: key, mark: mark, now: .now) : nil
        if let cached {
            let now = clock.now()
            read = FeedRead(page: cached, heldBack: false)
            read.page.serverTime = SyncService.serverTime(now)
            contacts.note(
                sync.contact(clock: body.clock, version: version, outboxDepth: body.outboxDepth, pulled: true, now: now), of: node.id)
        } else {
            read = try await sync.pull(for: node, request: body, version: version, now: clock.now(), logger: context.logger)
        }
        let page = read.page
        guard wait > 0, page.changes.isEmpty, !page.hasMore, page.credential == nil,
            body.stateDigest != nil, body.stateDigest == page.stateDigest, !signals.isClosing,
            let cursor = FeedCursor(body.cursor)
        else {
            idlePulls.forget(node.id)
            return try answers.response(to: page, venue: node.venueID)
        }
        // A read that left committed changes out is not kept: no signal will say when they show.
        if cached == nil, !read.heldBack { idlePulls.store(page, for: node.id, key: key, mark: mark, now: .now) }
        if read.heldBack { idlePulls.forget(node.id) }
        let held = HeldPull(
            node: node, request: body, cursor: cursor, version: version, read: read, mark: mark, wait: .seconds(wait),
            reader: wokenPulls, idlePulls: idlePulls, answers: answers,
            signals: signals, heartbeats: heartbeats, clock: clock, context: context)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody { writer in try await held.run(writer: &writer) })
    }

    @Sendable func push(_ request: Request, context: AppRequestContext) async throws -> PushResponse {
        let node = try context.requireNode()
        var context = context
        context.uploadLimit = Self.pushUploadLimit
        let (body, version) = try await decode(PushRequest.self, request, context)
        return try await pushes.apply(body, node: .init(node), version: version, now: clock.now(), logger: context.logger)
    }

    /// Facts of the venue's other nodes, relayed by this one (protocol 2 only).
    @Sendable func relay(_ request: Request, context: AppRequestContext) async throws -> RelayResponse {
        let node = try context.requireNode()
        var context = context
        context.uploadLimit = Self.pushUploadLimit
        let (body, version) = try await decode(RelayRequest.self, request, context)
        try Self.require(.livePull, for: "relay", stated: version)
        return try await relays.apply(body, relayer: node, version: version, now: clock.now(), logger: context.logger)
    }

    /// Where this node is reached on the LAN, and the venue's other nodes (protocol 2 only).
    @Sendable func peers(_ request: Request, context: AppRequestContext) async throws -> PeersResponse {
        let node = try context.requireNode()
        let (body, version) = try await decode(PeersRequest.self, request, context)
        try Self.require(.livePull, for: "peers", stated: version)
        if let problem = body.problem() { throw APIError.validation(problem.field, problem.message) }
        let venue = try await self.nodes.venuePeers(of: node, advertise: body.advertise, logger: context.logger)
        return PeersResponse(protocolVersion: version.rawValue, nodes: venue.nodes, kioskFailover: venue.kioskFailover)
    }

    @Sendable func topUp(_ request: Request, context: AppRequestContext) async throws -> SyncAllotment {
        let node = try context.requireNode()
        let (body, _) = try await decode(TopUpRequest.self, request, context)
        guard (1...10_000).contains(body.quantity) else { throw APIError.validation("quantity", "must be 1 to 10000") }
        return try await nodes.topUp(
            node: node, ticketType: body.ticketTypeID, quantity: body.quantity, now: clock.now(), logger: context.logger)
    }

    /// Refuses a route the stated protocol version does not have.
    private static func require(_ version: SyncProtocolVersion, for route: String, stated: SyncProtocolVersion) throws {
        guard stated >= version else {
            throw APIError(
                .badRequest, .unsupportedProtocolVersion,
                "\(route) is part of sync protocol \(version): state protocol_version \(version.rawValue)")
        }
    }

    private struct VersionProbe: Decodable {
        let protocolVersion: Int?
    }

    /// Reads the body and the protocol version it states: a version this server does not
    /// serve is refused with a typed error naming what to upgrade, before any other fault of the
    /// message is reported. A well-formed message is decoded once.
    func decode<Message: SyncRequestMessage>(
        _ type: Message.Type, _ request: Request, _ context: AppRequestContext
    ) async throws -> (Message, SyncProtocolVersion) {
        guard let data = try await request.collectBody(context: context) else {
            throw APIError.invalidJSON("The request body is empty; send JSON.")
        }
        try Request.checkText(data)
        let message: Message
        do {
            message = try SyncJSON.decoder.decode(Message.self, from: data)
        } catch {
            let probe: VersionProbe
            do {
                probe = try SyncJSON.decoder.decode(VersionProbe.self, from: data)
            } catch let error as DecodingError {
                throw APIError(decoding: error)
            }
            _ = try negotiate(probe.protocolVersion)
            throw (error as? DecodingError).map(APIError.init(decoding:)) ?? error
        }
        return (message, try negotiate(message.protocolVersion))
    }

    private func negotiate(_ requested: Int?) throws -> SyncProtocolVersion {
        guard let requested else {
            throw APIError.validation("protocol_version", "is required (this server serves \(servedVersions))")
        }
        do {
            return try SyncProtocolVersion.negotiate(requested, served: served)
        } catch {
            throw APIError(.badRequest, .unsupportedProtocolVersion, error.description)
        }
    }

    var servedVersions: String { served.map(\.description).joined(separator: " and ") }
}

extension EnrollResponse: ResponseEncodable {}
extension Snapshot: ResponseEncodable {}
extension PushResponse: ResponseEncodable {}
extension RelayResponse: ResponseEncodable {}
extension PeersResponse: ResponseEncodable {}
extension SyncAllotment: ResponseEncodable {}
