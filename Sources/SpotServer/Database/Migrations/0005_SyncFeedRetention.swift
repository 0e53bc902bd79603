extension Migrations {
    /// The change feed no longer grows forever: each row records when it was written, rows
    /// older than the retention are pruned (`SyncFeedPruner`), and the newest pruned position
    /// of each venue is kept as its horizon — a node whose cursor is below it has missed rows
    /// and is told `cursor_expired` (it bootstraps again). BRIN: the column grows with time,
    /// so a block-range index costs the feed's writers almost nothing.
    /// Also indexes that let a push find the conflicts of the scans and sales it just wrote
    /// without reading every conflict.
    static let syncFeedRetention = Migration(
        version: 5, name: "sync feed retention",
        statements: [
            "ALTER TABLE sync_feed ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now()",
            "CREATE INDEX sync_feed_by_age ON sync_feed USING brin (recorded_at)",
            """
            CREATE TABLE sync_feed_horizons (
                venue_id uuid PRIMARY KEY REFERENCES venues (id),
                txid xid8 NOT NULL,
                row_id bigint NOT NULL,
                pruned_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX conflicts_by_scan ON conflicts (scan_id) WHERE scan_id IS NOT NULL",
            "CREATE INDEX conflicts_by_sale ON conflicts (sale_id) WHERE sale_id IS NOT NULL",
        ])
}
