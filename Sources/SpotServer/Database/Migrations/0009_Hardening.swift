extension Migrations {
    /// Money that cannot be fooled and a vocabulary the database enforces:
    /// - the simulation gateway remembers what each idempotency key was used for (older keys,
    ///   recorded without it, match no request and are refused if reused);
    /// - a gateway reference is recorded at most once per kind: no refund or charge is ever
    ///   booked twice for one operation at the processor;
    /// - scans carry only the verdict codes of `VerdictCode`;
    /// - prices and door-sale amounts stay inside `FieldLimits` (checked for new rows only,
    ///   so an older out-of-range row cannot stop the upgrade).
    static let hardening = Migration(
        version: 9, name: "hardening",
        statements: [
            "ALTER TABLE simulated_gateway_operations ADD COLUMN request_fingerprint text",
            "CREATE UNIQUE INDEX payment_transactions_one_per_gateway_operation ON payment_transactions (kind, gateway_reference)",
            """
            ALTER TABLE scans ADD CONSTRAINT scans_verdict_known CHECK (verdict IN (
                'ok', 'malformed', 'unsupported_version', 'unknown_key', 'invalid_signature', 'key_retired',
                'certificate_expired', 'device_not_authorized', 'wrong_event', 'event_cancelled', 'unsupported_policy',
                'product_not_allowed', 'revoked', 'superseded', 'not_yet_valid', 'expired', 'already_admitted',
                'not_inside')) NOT VALID
            """,
            "ALTER TABLE ticket_types ADD CONSTRAINT ticket_types_price_in_range CHECK (price_minor <= 10000000000) NOT VALID",
            "ALTER TABLE door_sales ADD CONSTRAINT door_sales_amount_in_range CHECK (amount_minor <= 1000000000000) NOT VALID",
        ])
}
