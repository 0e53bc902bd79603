extension Migrations {
    /// The venue mesh: the LAN base URLs each node advertises to the other nodes of its venue,
    /// and what a venue's kiosks do when their node stops answering.
    static let nodeLANAddresses = Migration(
        version: 18, name: "venue mesh",
        statements: [
            "ALTER TABLE nodes ADD COLUMN lan_urls text[] NOT NULL DEFAULT '{}'",
            "ALTER TABLE venues ADD COLUMN kiosk_failover text NOT NULL DEFAULT 'offer' CHECK (kiosk_failover IN ('offer', 'switch'))",
        ])
}
