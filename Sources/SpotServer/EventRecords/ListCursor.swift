import Foundation
import SpotCore

/// Where a list read newest first stopped: the last row's time (microseconds since 1970, as
/// PostgreSQL keeps it) and id. Rows are ordered by both, so a page never repeats or skips a row
/// that existed when the first page was read. Opaque to clients (base64url of `<micros>.<id>`).
struct ListCursor: Equatable, Sendable {
    let micros: Int64
    let id: UUID

    init(micros: Int64, id: UUID) {
        self.micros = micros
        self.id = id
    }

    /// The cursor a client sent, or 400 `cursor_invalid`.
    init(text: String) throws {
        guard text.utf8.count <= 100, let data = Data(base64URLText: Substring(text)), let plain = String(data: data, encoding: .utf8)
        else { throw Self.invalid }
        let parts = plain.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let micros = Int64(parts[0]), Self.micros.contains(micros),
            let id = UUID(uuidString: String(parts[1]))
        else { throw Self.invalid }
        self.init(micros: micros, id: id)
    }

    var text: String {
        Data("\(micros).\(id.lowercasedText)".utf8).base64URLText
    }

    /// From 1970 to the end of year 9999: what a row's time can be, and what PostgreSQL can add to its epoch.
    static let micros: ClosedRange<Int64> = 0...253_402_300_799_999_999

    private static let invalid = DomainError.badRequest(
        "The cursor is not one this list handed out: start again without it.", code: .cursorInvalid)
}
