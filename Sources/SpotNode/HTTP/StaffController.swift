import Foundation
import Hummingbird
import SpotCore

/// Staff sign-in with the node's PIN: `POST /api/v1/session` opens a session, `GET` checks
/// it and keeps it alive, `DELETE` signs out. Scans, sales and the rest of the staff API need its token.
struct StaffController: Sendable {
    let database: NodeDatabase
    let sessions: StaffSessions

    func addRoutes(to api: RouterGroup<NodeRequestContext>) {
        api.post("session", use: signIn)
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
        return EditedResponse(status: .created, response: Self.response(session, includingToken: true))
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
