import Foundation
import Hummingbird
import SpotCore
import SpotSync

/// Staff sign-in with the node's PIN: `POST /api/v1/session` opens a session and hands out a
/// staff pass the venue's other nodes accept (`POST /api/v1/session/pass` opens one there
/// without the PIN), `GET` checks it and keeps it alive, `DELETE` signs out. Scans, sales and
/// the rest of the staff API need its token.
struct StaffController: Sendable {
    let database: NodeDatabase
    let sessions: StaffSessions
    let now: @Sendable () -> Date

    func addRoutes(to api: RouterGroup<NodeRequestContext>) {
        api.post("session", use: signIn)
        api.post("session/pass", use: signInWithPass)
        api.get("session", use: current)
        api.delete("session", use: signOut)
    }

    struct SignInRequest: Decodable {
        let pin: String
    }

    struct SessionResponse: ResponseEncodable {
        let token: String?
        let idleTimeoutSeconds: Int64
        let expiresAt: Date
        /// A staff pass (`peer-v1.md` §7), on sign-in with the PIN: the venue's other nodes take it instead.
        var staffPass: String?
    }

    struct PassRequest: Decodable {
        let pass: String
    }

    @Sendable func signIn(_ request: Request, context: NodeRequestContext) async throws -> EditedResponse<SessionResponse> {
        let body = try await request.decodeNodeJSON(as: SignInRequest.self, context: context)
        let session: StaffSessions.Session
        do {
            session = try await sessions.signIn(pinHash: try database.staffPINHash()) { hash in
                try await StaffPIN.matches(body.pin, hash: hash)
            }
        } catch StaffSessions.SignInError.wrongPIN {
            throw NodeAPIError(.unauthorized, code: .wrongPIN, message: "That PIN is not right.")
        } catch StaffSessions.SignInError.noPINSet {
            throw NodeAPIError(
                .conflict, code: .noPINSet, message: "No staff PIN is set on this node: run 'spot node pin' on it first.")
        } catch StaffSessions.SignInError.busy {
            throw NodeAPIError(
                .tooManyRequests, code: .tooManyAttempts, message: "Another sign-in is being checked: try again in a second.",
                headers: [.retryAfter: "1"])
        } catch StaffSessions.SignInError.lockedOut(let until) {
            let seconds = max(1, Int(until.timeIntervalSinceNow.rounded(.up)))
            throw NodeAPIError(
                .tooManyRequests, code: .tooManyAttempts,
                message: "Too many wrong PINs: try again in \(seconds) s.", headers: [.retryAfter: String(seconds)])
        }
        let identity = try database.peerIdentity()
        var response = Self.response(session, includingToken: true)
        response.staffPass = try StaffPass.issue(
            node: identity.nodeID, issuedAt: Int64(now().timeIntervalSince1970), key: identity.deviceKey.privateKey
        ).text
        return EditedResponse(status: .created, response: response)
    }

    /// A session for staff who signed in at another node of the venue (or at this one before it
    /// restarted): their staff pass instead of the PIN.
    @Sendable func signInWithPass(_ request: Request, context: NodeRequestContext) async throws -> EditedResponse<SessionResponse> {
        let body = try await request.decodeNodeJSON(as: PassRequest.self, context: context)
        let identity = try database.peerIdentity()
        do {
            _ = try StaffPass.verify(body.pass, now: Int64(now().timeIntervalSince1970)) { node in
                node == identity.nodeID ? identity.deviceKey.publicKey : try database.peerKey(node, now: now())
            }
        } catch let problem as StaffPass.Problem {
            throw NodeAPIError(.unauthorized, code: .signInRequired, message: problem.description + ".")
        }
        return EditedResponse(status: .created, response: Self.response(sessions.open(), includingToken: true))
    }

    /// Checks the session and keeps it alive: the kiosk calls this while staff are active
    /// without otherwise talking to the node (filling in a sale, say).
    @Sendable func current(_ request: Request, context: NodeRequestContext) async throws -> SessionResponse {
        guard let token = request.bearerToken, let session = sessions.validate(token) else {
            throw NodeAPIError.signInRequired
        }
        return Self.response(session, includingToken: false)
    }

    @Sendable func signOut(_ request: Request, context: NodeRequestContext) async throws -> HTTPResponse.Status {
        if let token = request.bearerToken { sessions.signOut(token) }
        return .noContent
    }

    static func response(_ session: StaffSessions.Session, includingToken: Bool) -> SessionResponse {
        SessionResponse(
            token: includingToken ? session.token : nil, idleTimeoutSeconds: session.idleTimeout.components.seconds,
            expiresAt: session.expiresAt)
    }
}
