extension Migrations {
    /// A counter per ticket that every writer of its scans advances in the statement (online
    /// check-in) or transaction (a node's push) that writes them: an online check-in reads the
    /// ticket's state with the counter and records its verdict only if the counter is unchanged,
    /// so two doors — on one server or two — never both admit a ticket, without a lock held
    /// across round trips. A ticket without a row has counter 0.
    static let admissionSequences = Migration(
        version: 12, name: "admission sequences",
        statements: [
            "CREATE TABLE ticket_admission_sequences (ticket_id uuid PRIMARY KEY, sequence bigint NOT NULL CHECK (sequence > 0))",
        ])
}
