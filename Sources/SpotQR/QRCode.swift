import CQRencode
import Foundation

/// A QR code symbol (ISO/IEC 18004) produced by libqrencode: a square of
/// dark and light modules, rendered by ``pngData(moduleSize:quietZone:)`` and
/// ``svg(moduleSize:quietZone:)``.
public struct QRCode: Sendable, Hashable {
    /// How the text is put into the symbol.
    public enum Mode: Sendable {
        /// libqrencode picks the densest modes per segment; Base45 text becomes alphanumeric mode.
        case automatic
        /// Every byte in byte (8-bit) mode.
        case byte
    }

    /// Error-correction level.
    public enum ErrorCorrection: Sendable {
        case low, medium, quartile, high

        var level: QRecLevel {
            switch self {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        }
    }

    /// The symbol version (1–40): the size class libqrencode chose.
    public let version: Int
    /// Modules per side, without the quiet zone.
    public let size: Int
    private let modules: [Bool]

    /// Encodes `text` at the smallest version that fits.
    public init(text: String, errorCorrection: ErrorCorrection = .medium, mode: Mode = .automatic) throws(QRCodeError) {
        guard !text.isEmpty else { throw .emptyText }
        guard !text.utf8.contains(0) else { throw .containsNUL }
        let symbol: UnsafeMutablePointer<QRcode>? =
            switch mode {
            case .automatic: QRcode_encodeString(text, 0, errorCorrection.level, QR_MODE_8, 1)
            case .byte: QRcode_encodeString8bit(text, 0, errorCorrection.level)
            }
        guard let symbol else {
            throw errno == ERANGE ? .textTooLong(byteCount: text.utf8.count) : .encodingFailed(errno: errno)
        }
        defer { QRcode_free(symbol) }
        let width = Int(symbol.pointee.width)
        version = Int(symbol.pointee.version)
        size = width
        // Bit 0 of each module byte is set for a dark module.
        modules = (0..<width * width).map { symbol.pointee.data[$0] & 1 == 1 }
    }

    /// Whether the module at column `x`, row `y` is dark.
    public func isDark(x: Int, y: Int) -> Bool {
        modules[y * size + x]
    }
}

/// Why a text could not become a QR code.
public enum QRCodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyText
    case containsNUL
    case textTooLong(byteCount: Int)
    case encodingFailed(errno: Int32)

    public var description: String {
        switch self {
        case .emptyText: "cannot encode empty text as a QR code"
        case .containsNUL: "QR text must not contain NUL characters"
        case .textTooLong(let count): "\(count) bytes do not fit in the largest QR code"
        case .encodingFailed(let code): "libqrencode failed (errno \(code))"
        }
    }
}
