import CSV
import Foundation
import NIOCore

/// A CSV file written in pieces (RFC 4180: UTF-8, CRLF, every field quoted, quotes doubled) by
/// CSV.swift's writer (quoting every field also spares it five searches of each value, which
/// halves an export's time); ``take()`` hands over what was written since the
/// last call, so a response streams the file without holding it. A field that starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so a spreadsheet shows
/// it as text and never runs it as a formula. One per export, used by one task.
final class CSVFile {
    private let sink = Sink(toMemory: ())
    private let writer: CSVWriter

    /// A file that starts with the header row `columns`.
    init(columns: [String]) throws {
        writer = try CSVWriter(stream: sink, newline: .crlf)
        try write(columns)
    }

    func write(_ row: [String]) throws {
        try writer.write(row: row.map(Self.inert), quotedAtIndex: { _ in true })
    }

    /// The bytes written since the last call.
    func take() -> ByteBuffer {
        defer { sink.bytes.removeAll(keepingCapacity: true) }
        return ByteBuffer(bytes: sink.bytes)
    }

    /// The last row's line break (the writer puts one before each row but the first).
    func finish() -> ByteBuffer {
        sink.bytes.append(contentsOf: [0x0D, 0x0A])
        return take()
    }

    /// `value`, made text for a spreadsheet if it could start a formula.
    static func inert(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, formulaStarts.contains(first) else { return value }
        return "'" + value
    }

    private static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// An output stream into memory that can be emptied (Foundation's memory stream only grows).
    private final class Sink: OutputStream {
        var bytes: [UInt8] = []

        required init(toMemory: ()) {
            super.init(toMemory: ())
        }

        override var streamStatus: Stream.Status { .open }
        override var hasSpaceAvailable: Bool { true }
        override func open() {}
        override func close() {}

        override func write(_ buffer: UnsafePointer<UInt8>, maxLength length: Int) -> Int {
            bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: length))
            return length
        }
    }
}
