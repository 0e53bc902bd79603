import SpotSync

/// A page of a venue's change feed as read, and whether the read had to leave committed
/// changes out (``FeedCursor``: rows of transactions at or above the oldest one still running
/// are not read yet).
struct FeedRead: Sendable {
    var page: PullPage
    /// Committed changes of the venue were left out because an older transaction — of any
    /// venue, or none — still runs. When it ends, no signal of this venue says so: such a page
    /// is never kept for idle pulls (``IdlePullCache``), and a held pull re-reads until the
    /// changes show (``PullWait``).
    var heldBack: Bool
}
