import Crypto
import Foundation

/// The `HVFLVSPOT-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
/// keyed with the endpoint's secret. A receiver recomputes it, compares in constant time, and
/// refuses a timestamp more than five minutes old (a replay).
enum WebhookSignature {
    static let header = "HVFLVSPOT-Signature"

    static func header(secret: String, timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(timestamp).".utf8)
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=\(Data(mac).hexString)"
    }
}
