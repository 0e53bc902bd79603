extension Migrations {
    /// Online check-ins recorded in one statement, without a transaction around the decision.
    ///
    /// `lock_tickets` takes the per-ticket advisory lock that online check-in and nodes' pushes
    /// take before deciding about a ticket, for every ticket given, in one fixed order (so two
    /// holders never deadlock).
    ///
    /// `record_online_check_ins` records a batch of check-ins decided from histories read
    /// before it (or assumed empty), outside any lock: it locks their tickets, and a ticket whose
    /// revocations or accepted scans are not as many as the decision saw (both only ever grow) is
    /// *stale*: its scans are not recorded and its id is returned, for the server to decide its
    /// check-ins again. The others' scans are recorded, and the locks held until the statement
    /// commits. A batch of first check-ins so costs one round trip to PostgreSQL (this), others
    /// two or three (``CheckInService``), where a transaction took five (`BEGIN`, lock, read,
    /// insert, `COMMIT`), each of which the one batch running at a time waited for.
    static let onlineCheckInRecording = Migration(
        version: 22, name: "online check-in recording",
        statements: [
            """
            CREATE FUNCTION lock_tickets(ticket_ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock(k) FROM (
                    SELECT DISTINCT hashtextextended('ticket:' || upper(t::text), 0) AS k FROM unnest(ticket_ids) t
                    ORDER BY k) keys;
            END
            $$
            """,
            """
            CREATE FUNCTION record_online_check_ins(
                ticket_ids uuid[], revocations_seen int[], accepted_seen int[],
                scan_ids uuid[], scan_tickets uuid[], scan_versions int[], scan_events uuid[], scan_directions text[],
                scan_gates text[], scan_hlcs bigint[], scan_verdicts text[], scan_recorders uuid[], recording_node uuid
            ) RETURNS SETOF uuid LANGUAGE plpgsql AS $$
            DECLARE
                stale uuid[];
            BEGIN
                PERFORM lock_tickets(ticket_ids);
                -- Planned at each call (EXECUTE): a plan kept from while `scans` was small (a new database,
                -- before its first analysis) would read the whole table every time.
                EXECUTE $check$
                    SELECT coalesce(array_agg(seen.ticket), '{}')
                    FROM unnest($1, $2, $3) AS seen(ticket, revocations, accepted)
                    WHERE (SELECT count(*) FROM revocations r WHERE r.ticket_id = seen.ticket) <> seen.revocations
                       OR (SELECT count(*) FROM scans c WHERE c.ticket_id = seen.ticket AND c.verdict = 'ok') <> seen.accepted
                    $check$
                    INTO stale USING ticket_ids, revocations_seen, accepted_seen;
                INSERT INTO scans (id, ticket_id, issue_version, event_id, direction, gate, node_id, hlc, scanned_at, verdict,
                                   recorded_by)
                SELECT s.id, s.ticket, s.version, s.event, s.direction, s.gate, recording_node, s.hlc,
                       to_timestamp((s.hlc >> 16) / 1000.0), s.verdict, s.recorder
                FROM unnest(scan_ids, scan_tickets, scan_versions, scan_events, scan_directions, scan_gates, scan_hlcs,
                            scan_verdicts, scan_recorders)
                     AS s(id, ticket, version, event, direction, gate, hlc, verdict, recorder)
                WHERE s.ticket <> ALL (stale);
                RETURN QUERY SELECT unnest(stale);
            END
            $$
            """,
        ])
}
