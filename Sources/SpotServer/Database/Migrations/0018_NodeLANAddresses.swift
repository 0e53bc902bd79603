extension Migrations {
    /// The venue mesh: the LAN base URLs each node advertises to the other nodes of its venue.
    static let nodeLANAddresses = Migration(
        version: 18, name: "node LAN addresses",
        statements: [
            "ALTER TABLE nodes ADD COLUMN lan_urls text[] NOT NULL DEFAULT '{}'"
        ])
}
