import Crypto
import Foundation
import Logging
import PostgresNIO
import SpotCore

/// The text of a statement that PostgreSQL parses and plans once per connection instead of at
/// every call. For the statements of the hot paths that are costly to plan: during the on-sale
/// rush of `spot bench commerce`, parsing and planning unnamed statements was about 40 % of
/// PostgreSQL's CPU.
protocol PreparedSQL {
    static var text: String { get }
    /// The parameters' types, where PostgreSQL cannot tell them from where they are used.
    static var parameterTypes: [PostgresDataType] { get }
}

extension PreparedSQL {
    static var parameterTypes: [PostgresDataType] { [] }
}

/// `SQL` with its values, run as a named prepared statement (PostgresNIO prepares it on each
/// connection the first time); the caller decodes the rows.
struct Prepared<SQL: PreparedSQL>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var sql: String { SQL.text }
    /// Named by its text: PostgreSQL cuts names at 63 bytes, and the default (the Swift type's
    /// full name) makes two statements declared in one type one name, the second never prepared.
    static var name: String { "spot_" + Data(SHA256.hash(data: Data(SQL.text.utf8)).prefix(12)).hexString }
    static var bindingDataTypes: [PostgresDataType] { SQL.parameterTypes }

    let bindings: PostgresBindings

    /// The values of `$1`, `$2`, … in order, written as an interpolation: `Prepared("\(a)\(b)")`.
    init(_ values: PostgresQuery) { bindings = values.binds }

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// Where a prepared statement runs: the pool (a statement of its own) or a leased connection
/// (inside or outside a transaction).
protocol PreparedStatementRunner: Sendable {
    func rows<SQL>(of statement: Prepared<SQL>, logger: Logger) async throws -> [PostgresRow]
}

extension Database: PreparedStatementRunner {
    func rows<SQL>(of statement: Prepared<SQL>, logger: Logger) async throws -> [PostgresRow] {
        try await execute(statement, logger: logger)
    }
}

extension PostgresConnection: PreparedStatementRunner {
    func rows<SQL>(of statement: Prepared<SQL>, logger: Logger) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}
