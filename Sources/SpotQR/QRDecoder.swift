import CZbar

/// Finds QR codes in a greyscale image with libzbar (the decoder the tests already trust):
/// a phone whose browser has no barcode detector sends the node its camera frames.
public enum QRDecoder {
    /// The largest frame accepted, in pixels per side.
    public static let sides = 16...1024

    /// The text of every QR code in `pixels` (one byte per pixel, rows top to bottom),
    /// in the order libzbar found them.
    public static func decode(greyscale pixels: [UInt8], width: Int, height: Int) throws(QRDecodingError) -> [String] {
        guard sides.contains(width), sides.contains(height) else { throw .badSize(width: width, height: height) }
        guard pixels.count == width * height else { throw .wrongLength(expected: width * height, got: pixels.count) }
        guard let scanner = zbar_image_scanner_create() else { throw .unavailable }
        defer { zbar_image_scanner_destroy(scanner) }
        // QR codes only: other symbologies cost time and could read noise as a code.
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0)
        zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1)
        guard let image = zbar_image_create() else { throw .unavailable }
        defer { zbar_image_destroy(image) }
        zbar_image_set_format(image, greyscaleFourCC)
        zbar_image_set_size(image, UInt32(width), UInt32(height))
        return pixels.withUnsafeBufferPointer { buffer in
            // No cleanup handler: the buffer stays ours and outlives the scan.
            zbar_image_set_data(image, buffer.baseAddress, UInt(buffer.count), nil)
            defer { zbar_image_set_data(image, nil, 0, nil) }
            guard zbar_scan_image(scanner, image) > 0 else { return [] }
            var texts: [String] = []
            var symbol = zbar_image_first_symbol(image)
            while let current = symbol {
                if zbar_symbol_get_type(current) == ZBAR_QRCODE, let data = zbar_symbol_get_data(current) {
                    let length = Int(zbar_symbol_get_data_length(current))
                    texts.append(String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self))
                }
                symbol = zbar_symbol_next(current)
            }
            return texts
        }
    }

    /// `Y800`, 8-bit greyscale, as libzbar's `zbar_fourcc` macro packs it.
    private static let greyscaleFourCC: UInt = {
        let bytes = Array("Y800".utf8).map(UInt.init)
        return bytes[0] | bytes[1] << 8 | bytes[2] << 16 | bytes[3] << 24
    }()
}

/// Why a frame could not be searched for QR codes.
public enum QRDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case badSize(width: Int, height: Int)
    case wrongLength(expected: Int, got: Int)
    case unavailable

    public var description: String {
        switch self {
        case .badSize(let width, let height):
            "a frame of \(width) × \(height) pixels is outside \(QRDecoder.sides.lowerBound)…\(QRDecoder.sides.upperBound) per side"
        case .wrongLength(let expected, let got): "a greyscale frame of that size has \(expected) bytes, not \(got)"
        case .unavailable: "the QR decoder could not start (out of memory)"
        }
    }
}
