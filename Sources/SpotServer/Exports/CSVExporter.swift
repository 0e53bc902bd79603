import Foundation
import Hummingbird
import Logging

/// An export as a `text/csv` download, streamed: the header row, then one page of rows after
/// another as the client takes them (``ExportRepository``), so 100,000 rows take no more
/// memory than 1,000. Callers authorize first: once the body starts, a failure can only cut
/// the download short (the chunked response then lacks its end, so no client takes it whole).
struct CSVExporter: Sendable {
    let repository: ExportRepository

    func response(_ kind: ExportKind, _ scope: ExportScope, logger: Logger) async throws -> Response {
        let sources: [ExportRepository.Source] = switch (kind, scope) {
        case (.transactions, .organizer(let id)): [.organizer(id)]
        case (_, .event(let id)): [.event(id)]
        case (_, .organizer(let id)): try await repository.events(of: id, logger: logger).map { .event($0) }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8; header=present"
        headers[.contentDisposition] = "attachment; filename=\"\(kind.fileName(scope))\""
        headers[.cacheControl] = "no-store"
        let repository = repository
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                let file = try CSVFile(columns: kind.columns)
                for source in sources {
                    var cursor: ListCursor?
                    repeat {
                        let page = try await repository.page(kind, from: source, after: cursor, logger: logger)
                        for row in page.rows { try file.write(try Self.shown(row, kind)) }
                        try await writer.write(file.take())
                        cursor = page.next
                    } while cursor != nil
                }
                try await writer.write(file.finish())
                try await writer.finish(nil)
            } catch {
                logger.error("export cut short", metadata: ["kind": "\(kind.rawValue)", "error": "\(error)"])
                throw error
            }
        })
    }

    /// `row` with its amounts in major units (`12.50`).
    private static func shown(_ row: [String], _ kind: ExportKind) throws -> [String] {
        var row = row
        for (amount, currency) in kind.amounts {
            guard let minor = Int64(row[amount]) else { throw ExportError.unreadableAmount(row[amount]) }
            row[amount] = Formatting.amount(minor, row[currency])
        }
        return row
    }

    enum ExportError: Error {
        case unreadableAmount(String)
    }
}
