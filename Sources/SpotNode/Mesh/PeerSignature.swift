import Crypto
import Foundation
import SpotCore
import SpotSync

/// Signing and checking peer protocol messages (`SyncProtocol/peer-v1.md` §3) with the
/// nodes' device keys, pure: the keys and the time come from the caller.
public enum PeerSignature {
    /// The headers of a request from `identity` for `target` at `time`.
    public static func requestHeaders(
        method: String, target: String, identity: NodeIdentity, time: Int64
    ) throws -> [(String, String)] {
        let message = PeerProtocol.requestMessage(method: method, target: target, node: identity.nodeID, time: time)
        let signature = try identity.deviceKey.privateKey.signature(for: message).base64EncodedString()
        return [
            (PeerProtocol.Header.node, identity.nodeID.lowercasedText), (PeerProtocol.Header.time, String(time)),
            (PeerProtocol.Header.signature, signature),
        ]
    }

    /// The sender of a signed request, once its time and signature check out; `key` finds the
    /// device key a node is certified with here (nil: not a certified node of this venue).
    public static func checkRequest(
        method: String, target: String, node: String?, time: String?, signature: String?, now: Int64,
        key: (UUID) throws -> Curve25519.Signing.PublicKey?
    ) throws -> UUID {
        guard let node, let sender = UUID(uuidString: node), let time, let sent = Int64(time), let signature,
            let bytes = Data(base64Encoded: signature)
        else { throw PeerError.unsigned }
        let (difference, overflow) = now.subtractingReportingOverflow(sent)
        guard !overflow, difference.magnitude <= PeerProtocol.allowedClockSkewMilliseconds.magnitude else {
            throw PeerError.staleTime
        }
        guard let publicKey = try key(sender) else { throw PeerError.unknownPeer(sender) }
        let message = PeerProtocol.requestMessage(method: method, target: target, node: sender, time: sent)
        guard publicKey.isValidSignature(bytes, for: message) else { throw PeerError.badSignature }
        return sender
    }

    /// The signature header of an answer to a request signed `requestSignature`.
    public static func answerSignature(requestSignature: String, body: Data, identity: NodeIdentity) throws -> String {
        let message = PeerProtocol.answerMessage(requestSignature: requestSignature, node: identity.nodeID, body: body)
        return try identity.deviceKey.privateKey.signature(for: message).base64EncodedString()
    }

    /// The node that answered, once its signature over the body checks out.
    public static func checkAnswer(
        requestSignature: String, node: String?, signature: String?, body: Data,
        key: (UUID) throws -> Curve25519.Signing.PublicKey?
    ) throws -> UUID {
        guard let node, let sender = UUID(uuidString: node), let signature, let bytes = Data(base64Encoded: signature) else {
            throw PeerError.unsigned
        }
        guard let publicKey = try key(sender) else { throw PeerError.unknownPeer(sender) }
        guard publicKey.isValidSignature(bytes, for: PeerProtocol.answerMessage(requestSignature: requestSignature, node: sender, body: body))
        else { throw PeerError.badSignature }
        return sender
    }
}
