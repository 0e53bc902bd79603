extension Migrations {
    /// Sign-in attempts get an id, so one that succeeds can be forgiven: the limits count failures only.
    static let failedAttempts = Migration(
        version: 10, name: "failed attempts",
        statements: [
            "ALTER TABLE auth_attempts ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY",
            "CREATE INDEX auth_attempts_by_id ON auth_attempts (id)",
        ])
}
