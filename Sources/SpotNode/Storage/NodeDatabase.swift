import Foundation
import GRDB
import SpotCore
import SpotSync

/// The node's SQLite database (GRDB, WAL): one `Sendable` value wrapping the
/// writer, migrated when opened, offering one transaction per intent-named method.
///
/// Durability: WAL with `synchronous = NORMAL` — a committed transaction survives the
/// process being killed at any point; a power cut may lose the last few commits.
///
/// Checkpoints (copying the WAL back into the database file, with an fsync) never run inside
/// a request's commit: SQLite's automatic checkpoint is off, and ``checkpoint()`` runs on a
/// connection of its own, from ``WALCheckpointService`` while the node runs and when the last
/// connection closes. (Run inside the writer, each one stalled the scans queued behind it: the
/// scan API's p99 was 6.5–6.8 ms with them, 4.6 ms without.)
public struct NodeDatabase: Sendable {
    let writer: any DatabaseWriter
    /// A connection used only to checkpoint, so the writer never waits for one (nil: the writer checkpoints).
    let checkpointer: DatabaseQueue?
    let verifierCache = VerifierCache()
    let identityCache = IdentityCache()

    /// Wraps `writer` and applies every pending migration.
    public init(_ writer: any DatabaseWriter) throws {
        try self.init(writer, checkpointer: nil)
    }

    init(_ writer: any DatabaseWriter, checkpointer: DatabaseQueue?) throws {
        self.writer = writer
        self.checkpointer = checkpointer
        try Self.migrator.migrate(writer)
    }

    /// Opens (creating if needed) the database file at `path` in WAL mode.
    public static func open(path: String) throws -> NodeDatabase {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            // After a checkpoint lets the WAL start over, a file grown under a burst shrinks back.
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        return try NodeDatabase(pool, checkpointer: DatabaseQueue(path: path, configuration: configuration))
    }

    /// Copies what the WAL holds back into the database file without waiting for readers or
    /// the writer (a passive checkpoint), on its own connection; suspends instead of blocking a
    /// thread of the concurrency pool meanwhile. Returns the WAL's frames and how many of them
    /// are now in the database file.
    @discardableResult
    public func checkpoint() async throws -> (walFrames: Int, checkpointed: Int) {
        let result = try await (checkpointer.map { $0 as any DatabaseWriter } ?? writer).writeWithoutTransaction { db in
            try db.checkpoint(.passive)
        }
        return (result.walFrameCount, result.checkpointedFrameCount)
    }

    /// Migrations are append-only: a migration that has shipped is never edited.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: scans") { db in
            try db.create(table: ScanRow.databaseTableName) { table in
                table.column("id", .text).primaryKey()
                table.column("ticket_id", .text).notNull()
                table.column("issue_version", .integer).notNull()
                table.column("direction", .text).notNull()
                table.column("gate", .text).notNull()
                table.column("node_id", .text).notNull()
                table.column("hlc", .integer).notNull()
                table.column("verdict", .text).notNull()
            }
            try db.create(index: "scans_by_ticket", on: ScanRow.databaseTableName, columns: ["ticket_id", "hlc"])
        }
        migrator.registerMigration("v2: replica, door sales, outbox, sync state") { db in
            try db.execute(sql: """
                ALTER TABLE scans ADD COLUMN event_id TEXT;
                CREATE TABLE node_identity (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    node_id TEXT NOT NULL, name TEXT NOT NULL, venue_id TEXT NOT NULL, venue_name TEXT NOT NULL,
                    organizer_id TEXT NOT NULL, server_url TEXT NOT NULL, device_seed BLOB NOT NULL,
                    enrolled_at DOUBLE NOT NULL);
                CREATE TABLE sync_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    token TEXT NOT NULL, token_expires_at DOUBLE NOT NULL, cursor TEXT, hlc INTEGER NOT NULL,
                    clock_offset_ms INTEGER, clock_skew_error TEXT, last_mutation_id INTEGER NOT NULL,
                    last_pull_at DOUBLE, last_push_at DOUBLE, last_attempt_at DOUBLE, last_success_at DOUBLE,
                    last_error TEXT, protocol_version INTEGER, replica_version INTEGER NOT NULL);
                CREATE TABLE events (
                    id TEXT PRIMARY KEY, venue_id TEXT NOT NULL, title TEXT NOT NULL, starts_at DOUBLE NOT NULL,
                    ends_at DOUBLE NOT NULL, status TEXT NOT NULL, reentry_policy TEXT NOT NULL);
                CREATE TABLE ticket_types (
                    id TEXT PRIMARY KEY, event_id TEXT NOT NULL, name TEXT NOT NULL, price_minor INTEGER NOT NULL,
                    currency TEXT NOT NULL);
                CREATE TABLE tickets (
                    id TEXT PRIMARY KEY, event_id TEXT NOT NULL, ticket_type_id TEXT NOT NULL,
                    issue_version INTEGER NOT NULL, status TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE revocations (
                    ticket_id TEXT PRIMARY KEY, issue_version INTEGER NOT NULL, reason TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE issuer_keys (
                    key_id TEXT PRIMARY KEY, public_key BLOB NOT NULL, status TEXT NOT NULL, verifies_until DOUBLE);
                CREATE TABLE device_certificates (
                    device_key_id TEXT PRIMARY KEY, node_id TEXT NOT NULL, not_after DOUBLE NOT NULL,
                    certificate BLOB NOT NULL);
                CREATE TABLE allotments (
                    ticket_type_id TEXT PRIMARY KEY, event_id TEXT NOT NULL, granted INTEGER NOT NULL,
                    server_sold INTEGER NOT NULL, as_of_mutation_id INTEGER NOT NULL);
                CREATE TABLE door_sales (
                    id TEXT PRIMARY KEY, event_id TEXT NOT NULL, ticket_type_id TEXT NOT NULL, quantity INTEGER NOT NULL,
                    payment_method TEXT NOT NULL, amount_minor INTEGER NOT NULL, currency TEXT NOT NULL,
                    hlc INTEGER NOT NULL, sold_at DOUBLE NOT NULL);
                CREATE INDEX door_sales_by_type ON door_sales (ticket_type_id);
                CREATE TABLE door_tickets (id TEXT PRIMARY KEY, sale_id TEXT NOT NULL, payload TEXT NOT NULL);
                CREATE INDEX door_tickets_by_sale ON door_tickets (sale_id);
                CREATE TABLE door_releases (
                    mutation_id INTEGER PRIMARY KEY, ticket_type_id TEXT NOT NULL, quantity INTEGER NOT NULL);
                CREATE TABLE outbox (
                    mutation_id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, body TEXT NOT NULL,
                    created_at DOUBLE NOT NULL);
                CREATE TABLE rejected_mutations (
                    mutation_id INTEGER PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL, code TEXT NOT NULL,
                    message TEXT NOT NULL, rejected_at DOUBLE NOT NULL);
                CREATE TABLE conflicts (id TEXT PRIMARY KEY, ticket_id TEXT, body TEXT NOT NULL);
                CREATE INDEX conflicts_by_ticket ON conflicts (ticket_id);
                """)
        }
        migrator.registerMigration("v3: staff PIN") { db in
            try db.execute(sql: """
                CREATE TABLE staff_pin (
                    id INTEGER PRIMARY KEY CHECK (id = 1), hash TEXT NOT NULL, set_at DOUBLE NOT NULL);
                """)
        }
        // The shared vocabularies (SpotCore/Vocabulary) as CHECK constraints: a value this
        // software does not know can never be stored. SQLite adds constraints by rebuilding a
        // table; a re-entry policy or revocation reason stored before as received becomes
        // `unrecognized` (it still refuses admission / still revokes).
        migrator.registerMigration("v4: vocabulary checks") { db in
            try db.execute(sql: """
                CREATE TABLE scans_checked (
                    id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, issue_version INTEGER NOT NULL,
                    direction TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
                    gate TEXT NOT NULL, node_id TEXT NOT NULL, hlc INTEGER NOT NULL,
                    verdict TEXT NOT NULL CHECK (verdict IN (
                        'ok', 'malformed', 'unsupported_version', 'unknown_key', 'invalid_signature', 'key_retired',
                        'certificate_expired', 'device_not_authorized', 'wrong_event', 'event_cancelled', 'unsupported_policy',
                        'product_not_allowed', 'revoked', 'superseded', 'not_yet_valid', 'expired', 'already_admitted',
                        'not_inside')),
                    event_id TEXT);
                INSERT INTO scans_checked (id, ticket_id, issue_version, direction, gate, node_id, hlc, verdict, event_id)
                    SELECT id, ticket_id, issue_version, direction, gate, node_id, hlc, verdict, event_id FROM scans;
                DROP TABLE scans;
                ALTER TABLE scans_checked RENAME TO scans;
                CREATE INDEX scans_by_ticket ON scans (ticket_id, hlc);

                CREATE TABLE events_checked (
                    id TEXT PRIMARY KEY, venue_id TEXT NOT NULL, title TEXT NOT NULL, starts_at DOUBLE NOT NULL,
                    ends_at DOUBLE NOT NULL, status TEXT NOT NULL CHECK (status IN ('published', 'cancelled')),
                    reentry_policy TEXT NOT NULL CHECK (reentry_policy IN ('single_entry', 'reentry_after_exit', 'unrecognized')));
                INSERT INTO events_checked
                    SELECT id, venue_id, title, starts_at, ends_at, status,
                           CASE WHEN reentry_policy IN ('single_entry', 'reentry_after_exit') THEN reentry_policy
                                ELSE 'unrecognized' END
                    FROM events WHERE status IN ('published', 'cancelled');
                DROP TABLE events;
                ALTER TABLE events_checked RENAME TO events;

                CREATE TABLE tickets_checked (
                    id TEXT PRIMARY KEY, event_id TEXT NOT NULL, ticket_type_id TEXT NOT NULL,
                    issue_version INTEGER NOT NULL, status TEXT NOT NULL CHECK (status IN ('valid', 'revoked'))) WITHOUT ROWID;
                INSERT INTO tickets_checked SELECT id, event_id, ticket_type_id, issue_version, status FROM tickets;
                DROP TABLE tickets;
                ALTER TABLE tickets_checked RENAME TO tickets;

                CREATE TABLE revocations_checked (
                    ticket_id TEXT PRIMARY KEY, issue_version INTEGER NOT NULL,
                    reason TEXT NOT NULL CHECK (reason IN ('refunded', 'cancelled', 'reissued', 'voided', 'unrecognized')))
                    WITHOUT ROWID;
                INSERT INTO revocations_checked
                    SELECT ticket_id, issue_version,
                           CASE WHEN reason IN ('refunded', 'cancelled', 'reissued', 'voided') THEN reason ELSE 'unrecognized' END
                    FROM revocations;
                DROP TABLE revocations;
                ALTER TABLE revocations_checked RENAME TO revocations;

                CREATE TABLE issuer_keys_checked (
                    key_id TEXT PRIMARY KEY, public_key BLOB NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('active', 'retired')), verifies_until DOUBLE);
                INSERT INTO issuer_keys_checked SELECT key_id, public_key, status, verifies_until FROM issuer_keys;
                DROP TABLE issuer_keys;
                ALTER TABLE issuer_keys_checked RENAME TO issuer_keys;

                CREATE TABLE door_sales_checked (
                    id TEXT PRIMARY KEY, event_id TEXT NOT NULL, ticket_type_id TEXT NOT NULL, quantity INTEGER NOT NULL,
                    payment_method TEXT NOT NULL CHECK (payment_method IN ('cash', 'card_present')),
                    amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, hlc INTEGER NOT NULL, sold_at DOUBLE NOT NULL);
                INSERT INTO door_sales_checked
                    SELECT id, event_id, ticket_type_id, quantity, payment_method, amount_minor, currency, hlc, sold_at
                    FROM door_sales;
                DROP TABLE door_sales;
                ALTER TABLE door_sales_checked RENAME TO door_sales;
                CREATE INDEX door_sales_by_type ON door_sales (ticket_type_id);

                -- Mutation ids are never reused: the outbox's AUTOINCREMENT sequence moves to the new table.
                CREATE TEMP TABLE outbox_sequence AS
                    SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0),
                               coalesce((SELECT max(mutation_id) FROM outbox), 0),
                               coalesce((SELECT last_mutation_id FROM sync_state WHERE id = 1), 0)) AS seq;
                CREATE TABLE outbox_checked (
                    mutation_id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL CHECK (kind IN ('scan', 'sale', 'release')), body TEXT NOT NULL,
                    created_at DOUBLE NOT NULL);
                INSERT INTO outbox_checked SELECT mutation_id, kind, body, created_at FROM outbox;
                DROP TABLE outbox;
                ALTER TABLE outbox_checked RENAME TO outbox;
                DELETE FROM sqlite_sequence WHERE name IN ('outbox', 'outbox_checked');
                INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox', seq FROM outbox_sequence;
                DROP TABLE outbox_sequence;

                CREATE TABLE rejected_mutations_checked (
                    mutation_id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('scan', 'sale', 'release')),
                    body TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, rejected_at DOUBLE NOT NULL);
                INSERT INTO rejected_mutations_checked SELECT mutation_id, kind, body, code, message, rejected_at
                    FROM rejected_mutations;
                DROP TABLE rejected_mutations;
                ALTER TABLE rejected_mutations_checked RENAME TO rejected_mutations;
                """)
        }
        migrator.registerMigration("v5: door sales by time, scans by node, peers") { db in
            try db.execute(sql: """
                CREATE INDEX door_sales_by_time ON door_sales (sold_at);
                CREATE INDEX scans_by_node ON scans (node_id, hlc);
                CREATE TABLE peers (
                    node_id TEXT PRIMARY KEY, name TEXT NOT NULL, cursor INTEGER NOT NULL, last_contact_at DOUBLE NOT NULL);
                """)
        }
        migrator.registerMigration("v6: signed facts for peers and relay") { db in
            try db.execute(sql: """
                CREATE TABLE own_facts (
                    mutation_id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('scan', 'sale', 'release')),
                    body TEXT NOT NULL, created_at DOUBLE NOT NULL);
                INSERT INTO own_facts SELECT mutation_id, kind, body, created_at FROM outbox;
                CREATE TABLE peer_facts (
                    node_id TEXT NOT NULL, mutation_id INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('scan', 'sale', 'release')), body TEXT NOT NULL,
                    signature TEXT NOT NULL, received_at DOUBLE NOT NULL, PRIMARY KEY (node_id, mutation_id));
                CREATE INDEX peer_facts_by_time ON peer_facts (received_at);
                -- Peers were read by HLC; they are now read by mutation id, from the start.
                UPDATE peers SET cursor = 0;
                ALTER TABLE peers ADD COLUMN acknowledged_through INTEGER NOT NULL DEFAULT 0;
                """)
        }
        migrator.registerMigration("v7: where each peer answers, since when it does not; the venue's kiosk failover") { db in
            try db.execute(sql: """
                ALTER TABLE peers ADD COLUMN url TEXT;
                ALTER TABLE peers ADD COLUMN failing_since DOUBLE;
                ALTER TABLE sync_state ADD COLUMN venue_kiosk_failover TEXT;
                -- Peers read facts by mutation id now; the scans' node index only slowed each scan down.
                DROP INDEX scans_by_node;
                """)
        }
        return migrator
    }

    /// Records one scan with its verdict code; refused scans are kept for statistics
    /// but only accepted ones (`ok`) count towards a ticket's presence.
    public func recordScan(_ scan: ScanRecord, verdict: Verdict) throws {
        try writer.write { db in try ScanRow(scan, verdict: verdict.code).insert(db) }
    }

    /// The accepted scans, as the verdict function's scan history.
    public func scanLedger() throws -> ScanLedger {
        try writer.read { db in
            let rows = try ScanRow.filter(Column("verdict") == "ok").fetchCursor(db)
            var ledger = ScanLedger()
            while let row = try rows.next() { ledger.record(try row.scanRecord()) }
            return ledger
        }
    }

    /// The number of scans recorded, accepted or not.
    public func scanCount() throws -> Int {
        try writer.read { db in try ScanRow.fetchCount(db) }
    }

    // MARK: Identity

    /// Who this node is, or ``NodeDatabaseError/notEnrolled``.
    public func identity() throws -> NodeIdentity {
        try writer.read { db in try Self.identity(db) }
    }

    static func identity(_ db: GRDB.Database) throws -> NodeIdentity {
        guard let row = try NodeIdentityRow.fetchOne(db) else { throw NodeDatabaseError.notEnrolled }
        return NodeIdentity(
            nodeID: row.nodeID, name: row.name, venueID: row.venueID, venueName: row.venueName,
            organizerID: row.organizerID, serverURL: row.serverURL, deviceKey: try SigningKey(seed: row.deviceSeed))
    }

    static func state(_ db: GRDB.Database) throws -> SyncStateRow {
        guard let row = try SyncStateRow.fetchOne(db) else { throw NodeDatabaseError.notEnrolled }
        return row
    }

    /// Stores a fresh enrollment: identity, device key and first credential, in one transaction.
    public func storeEnrollment(_ response: EnrollResponse, serverURL: String, deviceKey: SigningKey, now: Date) throws {
        try writer.write { db in
            if let existing = try NodeIdentityRow.fetchOne(db) {
                throw NodeDatabaseError.alreadyEnrolled(nodeID: existing.nodeID)
            }
            try NodeIdentityRow(
                nodeID: response.node.id, name: response.node.name, venueID: response.node.venueID,
                venueName: response.node.venueName, organizerID: response.node.organizerID, serverURL: serverURL,
                deviceSeed: Data(deviceKey.seed), enrolledAt: now
            ).insert(db)
            try SyncStateRow(
                token: response.credential.token, tokenExpiresAt: response.credential.expiresAt, cursor: nil, hlc: 0,
                lastMutationID: 0, protocolVersion: response.protocolVersion, replicaVersion: 0
            ).insert(db)
        }
    }

    /// Whether this database holds an enrolled node.
    public func isEnrolled() throws -> Bool {
        try writer.read { db in try NodeIdentityRow.fetchCount(db) > 0 }
    }
}

/// Who the node is: its server, venue and device key.
public struct NodeIdentity: Sendable {
    public let nodeID: UUID
    public let name: String
    public let venueID: UUID
    public let venueName: String
    public let organizerID: UUID
    public let serverURL: String
    public let deviceKey: SigningKey
}
