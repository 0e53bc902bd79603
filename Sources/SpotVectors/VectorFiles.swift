import Foundation

/// Every vector file of `SyncProtocol/vectors`, as the generators make them.
public enum VectorFiles {
    /// Each file's name and contents; `spot vectors` writes them and `--check` compares them.
    public static func all() throws -> [(name: String, contents: Data)] {
        [(TicketVectors.fileName, try TicketVectors.make().encoded())]
            + (try SyncVectors.versions.map { (SyncVectors.fileName($0), try SyncVectors.make($0)) })
            + [(PeerVectors.fileName, try PeerVectors.make())]
    }
}
