import CZlib

extension QRCode {
    /// The symbol as a PNG: 1-bit greyscale, `moduleSize` pixels per module and a
    /// `quietZone` of light modules on every side (ISO/IEC 18004 asks for 4),
    /// image data zlib-compressed, each chunk with its CRC-32 (PNG spec, ISO/IEC 15948).
    public func pngData(moduleSize: Int = 8, quietZone: Int = 4) -> [UInt8] {
        let moduleSize = max(1, moduleSize)
        let quietZone = max(0, quietZone)
        let side = (size + 2 * quietZone) * moduleSize
        let rowBytes = (side + 7) / 8

        // Raw scanlines: filter type 0, then pixels packed 8 per byte, 1 = white.
        var raw = [UInt8](repeating: 0, count: side * (rowBytes + 1))
        var packedRow = [UInt8](repeating: 0, count: rowBytes)
        for moduleRow in 0..<(size + 2 * quietZone) {
            for byte in packedRow.indices { packedRow[byte] = 0xFF }
            let y = moduleRow - quietZone
            if y >= 0, y < size {
                for x in 0..<size where isDark(x: x, y: y) {
                    let firstPixel = (x + quietZone) * moduleSize
                    for pixel in firstPixel..<firstPixel + moduleSize {
                        packedRow[pixel >> 3] &= ~(0x80 >> UInt8(pixel & 7))
                    }
                }
            }
            for repeatRow in 0..<moduleSize {
                let start = (moduleRow * moduleSize + repeatRow) * (rowBytes + 1)
                raw[start] = 0
                raw.replaceSubrange(start + 1...start + rowBytes, with: packedRow)
            }
        }

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(side))
        header.appendBigEndian(UInt32(side))
        header += [1, 0, 0, 0, 0]  // bit depth 1, greyscale, deflate, adaptive filtering, no interlace
        png.appendChunk("IHDR", header)
        png.appendChunk("IDAT", Self.zlibCompress(raw))
        png.appendChunk("IEND", [])
        return png
    }

    private static func zlibCompress(_ input: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(input.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                compress2(destination.baseAddress, &length, source.baseAddress, uLong(input.count), Z_BEST_COMPRESSION)
            }
        }
        // compressBound guarantees room; any other failure is an out-of-memory condition.
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        return Array(output.prefix(Int(length)))
    }
}

extension [UInt8] {
    fileprivate mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
    }

    fileprivate mutating func appendChunk(_ type: String, _ data: [UInt8]) {
        appendBigEndian(UInt32(data.count))
        let typeAndData = Array(type.utf8) + data
        append(contentsOf: typeAndData)
        let crc = typeAndData.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        appendBigEndian(UInt32(crc))
    }
}
