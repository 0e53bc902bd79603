import PostgresNIO

/// A position in a commit-ordered feed (the revocation feed, the sync change feed):
/// the (transaction id, row id) of the last row read. Opaque to clients: `<txid>.<id>`.
///
/// Readers take only rows of transactions below the oldest one still running
/// (`pg_snapshot_xmin`), ordered by (transaction id, row id), so a slow transaction that
/// commits after faster ones shows up late but is never skipped.
struct FeedCursor: Sendable, Hashable, Comparable, CustomStringConvertible {
    let transaction: UInt64
    let row: Int64

    static let start = FeedCursor(transaction: 0, row: 0)

    init(transaction: UInt64, row: Int64) {
        self.transaction = transaction
        self.row = row
    }

    /// A feed row's position as PostgreSQL returns it (`txid::text`, `id`); anything else is refused.
    init(stored transaction: String, row: Int64) throws {
        guard let transaction = UInt64(transaction), row >= 0 else { throw PostgresDecodingError.Code.failure }
        self.init(transaction: transaction, row: row)
    }

    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let transaction = UInt64(parts[0]), let row = Int64(parts[1]), row >= 0 else { return nil }
        self.init(transaction: transaction, row: row)
    }

    var description: String { "\(transaction).\(row)" }

    static func < (lhs: FeedCursor, rhs: FeedCursor) -> Bool {
        (lhs.transaction, lhs.row) < (rhs.transaction, rhs.row)
    }
}
