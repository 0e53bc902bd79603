/// The timing of sync protocol v2's live pull (`SyncProtocol/sync-v2.md` §5.1), shared by the
/// server that holds a pull open and the node that waits on it.
public enum LivePull {
    /// While it holds a pull open, the server sends one space (JSON whitespace) at least this
    /// often, so the node can tell a quiet feed from a hung server.
    public static let heartbeatInterval: Duration = .milliseconds(2500)
    /// A node gives up on a request when nothing (not even a heartbeat) arrived for this long,
    /// and counts the server offline: with a kiosk polling its node each second, door staff
    /// see a hung server within 5 s.
    public static let silenceLimit: Duration = .milliseconds(4000)
    /// How long a node asks the server to hold an idle pull open.
    public static let defaultWait = 25
    /// A live node's first retry after a failure; later ones double, with jitter.
    public static let firstRetry: Duration = .seconds(1)
}
