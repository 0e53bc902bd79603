import CZlib
import Foundation
import SpotCore
import SpotTestSupport
import SpotVectors
import Testing

@testable import SpotQR

@Suite("QR rendering through libqrencode")
struct QRCodeTests {
    /// Random, valid tickets with random optional fields.
    static func randomTickets(_ count: Int, seed: UInt64) -> [SignedTicket] {
        var generator = SeededGenerator(seed: seed)
        let key = try! SigningKey(seed: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return (0..<count).map { index in
            func uuid() -> UUID { UUID.version7(unixMilliseconds: 1_796_000_000_000 + Int64(index), using: &generator) }
            let from: Date? = Bool.random(using: &generator) ? Date(timeIntervalSince1970: 1_796_000_000) : nil
            let until: Date? = Bool.random(using: &generator) ? Date(timeIntervalSince1970: 1_797_000_000) : nil
            let claims = TicketClaims(
                ticketID: uuid(), eventID: uuid(), ticketTypeID: uuid(),
                issueVersion: UInt32.random(in: 1...UInt32.max, using: &generator), validFrom: from, validUntil: until)
            return try! SignedTicket.sign(claims, with: key)
        }
    }

    @Test("50 random tickets: PNG decodes with zbarimg to the exact payload text")
    func pngRoundTrip() async throws {
        let directory = try artifactDirectory("qr-png")
        for (index, ticket) in Self.randomTickets(50, seed: 50).enumerated() {
            let file = directory.appendingPathComponent("ticket-\(index).png")
            try Data(try QRCode(text: ticket.text).pngData()).write(to: file)
            let decoded = try await runProcess("zbarimg", ["--raw", "-q", file.path])
            #expect(decoded.status == 0, "zbarimg failed on \(file.path): \(decoded.stderr)")
            #expect(decoded.stdout == ticket.text + "\n", "ticket \(index)")
        }
    }

    @Test("SVG rasterized by librsvg decodes with zbarimg to the exact payload text")
    func svgRoundTrip() async throws {
        let directory = try artifactDirectory("qr-svg")
        for (index, ticket) in Self.randomTickets(10, seed: 10).enumerated() {
            let svg = directory.appendingPathComponent("ticket-\(index).svg")
            let png = directory.appendingPathComponent("ticket-\(index).rendered.png")
            try Data(try QRCode(text: ticket.text).svg(moduleSize: 6).utf8).write(to: svg)
            let rendered = try await runProcess("rsvg-convert", [svg.path, "-o", png.path])
            #expect(rendered.status == 0, "rsvg-convert: \(rendered.stderr)")
            let decoded = try await runProcess("zbarimg", ["--raw", "-q", png.path])
            #expect(decoded.stdout == ticket.text + "\n", "ticket \(index)")
        }
    }

    @Test("The PNG is spec-valid: signature, chunk CRCs, 1-bit greyscale, pixels match the modules and quiet zone")
    func pngStructure() async throws {
        let code = try QRCode(text: "HVFLVSPOT")
        let moduleSize = 3
        let quietZone = 4
        let png = code.pngData(moduleSize: moduleSize, quietZone: quietZone)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])

        var chunks: [(type: String, data: [UInt8])] = []
        var offset = 8
        while offset < png.count {
            let length = Int(png[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            let typeAndData = Array(png[offset + 4..<offset + 8 + length])
            let storedCRC = png[offset + 8 + length..<offset + 12 + length].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let crc = typeAndData.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            #expect(crc == storedCRC)
            chunks.append((String(decoding: typeAndData.prefix(4), as: UTF8.self), Array(typeAndData.dropFirst(4))))
            offset += 12 + length
        }
        #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        let side = (code.size + 2 * quietZone) * moduleSize
        let header = chunks[0].data
        #expect(Int(header[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) == side)
        #expect(Array(header[8...]) == [1, 0, 0, 0, 0])

        // Inflate and compare every pixel with the module it belongs to.
        let rowBytes = (side + 7) / 8
        var raw = [UInt8](repeating: 0, count: side * (rowBytes + 1))
        var rawLength = uLong(raw.count)
        let compressed = chunks[1].data
        let status = compressed.withUnsafeBufferPointer { source in
            raw.withUnsafeMutableBufferPointer { uncompress($0.baseAddress, &rawLength, source.baseAddress, uLong(source.count)) }
        }
        #expect(status == Z_OK)
        #expect(Int(rawLength) == raw.count)
        for y in 0..<side {
            #expect(raw[y * (rowBytes + 1)] == 0, "filter type of row \(y)")
            for x in 0..<side {
                let byte = raw[y * (rowBytes + 1) + 1 + x / 8]
                let white = byte & (0x80 >> UInt8(x % 8)) != 0
                let moduleX = x / moduleSize - quietZone
                let moduleY = y / moduleSize - quietZone
                let inside = (0..<code.size).contains(moduleX) && (0..<code.size).contains(moduleY)
                let dark = inside && code.isDark(x: moduleX, y: moduleY)
                #expect(white == !dark, "pixel \(x),\(y)")
            }
        }
    }

    @Test("Base45 in alphanumeric mode needs a smaller symbol than base64 in byte mode", arguments: [
        // (validity fields present, payload bytes, Base45 version, base64 version) — SyncProtocol/tickets.md §7.
        (false, 126, 8, 9),
        (true, 142, 8, 10),
    ])
    func density(window: Bool, bytes: Int, base45Version: Int, base64Version: Int) async throws {
        let ticket = try SignedTicket.sign(
            TicketClaims(
                ticketID: UUID(), eventID: UUID(), ticketTypeID: UUID(), issueVersion: .max,
                validFrom: window ? Date(timeIntervalSince1970: 1_796_000_000) : nil,
                validUntil: window ? Date(timeIntervalSince1970: 1_797_000_000) : nil),
            with: SigningKey())
        #expect(ticket.bytes.count == bytes)
        let base45 = try QRCode(text: ticket.text, errorCorrection: .medium, mode: .automatic)
        let base64 = try QRCode(text: Data(ticket.bytes).base64EncodedString(), errorCorrection: .medium, mode: .byte)
        #expect(base45.version == base45Version)
        #expect(base64.version == base64Version)
        #expect(base45.size == 17 + 4 * base45Version)
    }

    @Test("Text that cannot be encoded is a typed error")
    func errors() {
        #expect(throws: QRCodeError.emptyText) { try QRCode(text: "") }
        #expect(throws: QRCodeError.textTooLong(byteCount: 8000)) { try QRCode(text: String(repeating: "A", count: 8000)) }
    }

    @Test("The SVG is one white square and one black path, sized with the quiet zone")
    func svgShape() async throws {
        let code = try QRCode(text: "HVFLVSPOT")
        let svg = code.svg(moduleSize: 10, quietZone: 4)
        let side = code.size + 8
        #expect(svg.contains("viewBox=\"0 0 \(side) \(side)\""))
        #expect(svg.contains("width=\"\(side * 10)\""))
        #expect(svg.components(separatedBy: "<path").count == 2)
        // Every dark module is covered by exactly one run: count run widths.
        let runs = svg.split(separator: "h").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        let darkModules = (0..<code.size).flatMap { y in (0..<code.size).map { (x: $0, y: y) } }
            .filter { code.isDark(x: $0.x, y: $0.y) }.count
        #expect(runs.reduce(0, +) == darkModules)
    }
}
