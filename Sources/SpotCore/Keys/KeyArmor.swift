import Foundation

/// The text files keys and certificates travel in: one base64 block between
/// `-----BEGIN LABEL-----` and `-----END LABEL-----` lines (PEM-like, not DER).
public enum KeyArmor {
    public static let privateKeyLabel = "HVFLVSPOT ED25519 PRIVATE KEY"
    public static let publicKeyLabel = "HVFLVSPOT ED25519 PUBLIC KEY"
    public static let certificateLabel = "HVFLVSPOT DEVICE CERTIFICATE"

    /// Wraps bytes in an armored block, 64 base64 characters per line.
    public static func armor(_ bytes: some Sequence<UInt8>, label: String) -> String {
        let base64 = Data(bytes).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var start = base64.startIndex
        while start < base64.endIndex {
            let end = base64.index(start, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[start..<end]))
            start = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The label of the first armored block in `text`, if any.
    public static func label(of text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("-----BEGIN "), trimmed.hasSuffix("-----") {
                return String(trimmed.dropFirst("-----BEGIN ".count).dropLast(5))
            }
        }
        return nil
    }

    /// Extracts the bytes of the block labelled `label`; text outside the block is ignored.
    public static func dearmor(_ text: String, label: String) throws(KeyError) -> [UInt8] {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        var inside = false
        var base64 = ""
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == begin {
                inside = true
            } else if trimmed == end, inside {
                guard let data = Data(base64Encoded: base64) else { throw .invalidBase64 }
                return Array(data)
            } else if inside {
                base64 += trimmed
            }
        }
        throw .notArmored(expected: label)
    }
}

extension SigningKey {
    /// The armored private key file (`signing.key`).
    public var armoredPrivateKey: String { KeyArmor.armor(seed, label: KeyArmor.privateKeyLabel) }

    /// The armored public key file (`signing.pub`).
    public var armoredPublicKey: String {
        KeyArmor.armor(publicKey.rawRepresentation, label: KeyArmor.publicKeyLabel)
    }

    /// Reads an armored private key file.
    public init(armored text: String) throws(KeyError) {
        try self.init(seed: KeyArmor.dearmor(text, label: KeyArmor.privateKeyLabel))
    }
}
