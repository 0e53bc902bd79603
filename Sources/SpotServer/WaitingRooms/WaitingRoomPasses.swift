import Foundation

/// The signed pass a waiting room gives each buyer it lets in: `<expiry>.<nonce>.<mac>`, the
/// MAC (``FormKeys``, purpose `waitingRoomPass`) binding the event, the account and the expiry
/// (Unix seconds), so any replica can check it without a query and a pass cannot be moved to
/// another event or account, nor made to last longer.
struct WaitingRoomPasses: Sendable {
    let keys: FormKeys

    func issue(event: UUID, user: UUID, expires: Date) -> String {
        let expiry = Int64(expires.timeIntervalSince1970.rounded(.down))
        return "\(expiry)." + keys.issue(.waitingRoomPass, boundTo: Self.binding(event: event, user: user, expiry: expiry))
    }

    /// Whether `pass` was issued for `event` and `user` and has not expired at `now`.
    func admits(_ pass: String, event: UUID, user: UUID, now: Date) -> Bool {
        guard pass.utf8.count <= 200, let dot = pass.firstIndex(of: "."),
            let expiry = Int64(pass[..<dot]), expiry > 0, expiry <= Int64(Int32.max)
        else { return false }
        let key = String(pass[pass.index(after: dot)...])
        return keys.verify(key, .waitingRoomPass, boundTo: Self.binding(event: event, user: user, expiry: expiry)) != nil
            && now.timeIntervalSince1970 < Double(expiry)
    }

    private static func binding(event: UUID, user: UUID, expiry: Int64) -> String {
        "event:\(event.lowercasedText) user:\(user.lowercasedText) until:\(expiry)"
    }
}
