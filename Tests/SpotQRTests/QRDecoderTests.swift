import Foundation
import SpotCore
import SpotTestSupport
import Testing

@testable import SpotQR

@Suite("QR decoding of camera frames through libzbar")
struct QRDecoderTests {
    @Test("20 random tickets drawn into frames decode to their exact text, at the sizes a phone sends")
    func ticketsDecode() throws {
        for (index, ticket) in QRCodeTests.randomTickets(20, seed: 20).enumerated() {
            let (width, height, module) = index.isMultiple(of: 2) ? (640, 480, 6) : (320, 240, 3)
            let frame = try GreyFrame.qr(ticket.text, width: width, height: height, moduleSize: module)
            #expect(try QRDecoder.decode(greyscale: frame.pixels, width: width, height: height) == [ticket.text], "ticket \(index)")
        }
    }

    @Test("A frame without a code, and one of noise, find nothing")
    func nothingInView() throws {
        let blank = GreyFrame.blank(width: 320, height: 240)
        #expect(try QRDecoder.decode(greyscale: blank.pixels, width: 320, height: 240).isEmpty)
        var generator = SeededGenerator(seed: 7)
        let noise = (0..<(320 * 240)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(try QRDecoder.decode(greyscale: noise, width: 320, height: 240).isEmpty)
    }

    @Test("Sizes outside 16…1024 and pixel counts that do not match are refused before libzbar sees them")
    func refusals() {
        #expect(throws: QRDecodingError.badSize(width: 15, height: 100)) {
            try QRDecoder.decode(greyscale: [UInt8](repeating: 0, count: 1500), width: 15, height: 100)
        }
        #expect(throws: QRDecodingError.badSize(width: 100, height: 1025)) {
            try QRDecoder.decode(greyscale: [], width: 100, height: 1025)
        }
        #expect(throws: QRDecodingError.badSize(width: Int.max, height: Int.max)) {
            try QRDecoder.decode(greyscale: [], width: Int.max, height: Int.max)
        }
        #expect(throws: QRDecodingError.wrongLength(expected: 256, got: 255)) {
            try QRDecoder.decode(greyscale: [UInt8](repeating: 0, count: 255), width: 16, height: 16)
        }
    }
}
