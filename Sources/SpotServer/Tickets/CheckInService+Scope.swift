import Foundation
import Logging
import SpotCore

extension CheckInService {
    /// Who checks tickets in, and so whose events: every organizer's (admins), their own
    /// organizer's (organizers), their employers' (door staff); attendees none (403). Which
    /// organizers those are is read with the ticket, from `check_in_scopes` (migration 13).
    struct Caller: Sendable {
        let user: UUID
        let role: Role

        init(_ identity: Identity) throws {
            guard identity.role != .attendee else {
                throw DomainError.forbidden("Only door staff, organizers and admins check tickets in.")
            }
            user = identity.userID
            role = identity.role
        }

        var isAdmin: Bool { role == .admin }

        /// The 403 for a caller who checks in for no organizer at all.
        var withoutScope: DomainError {
            role == .staff
                ? DomainError.forbidden("This staff account is not assigned to an organizer.")
                : DomainError.forbidden("Create your organizer profile first (POST /api/v1/organizers).")
        }
    }

    /// 403 unless `caller` checks tickets in for some organizer (the check-in page, before its form).
    func requireScope(of caller: Caller, logger: Logger) async throws {
        guard !caller.isAdmin else { return }
        let rows = try await database.query(
            "SELECT EXISTS (SELECT 1 FROM check_in_scopes WHERE user_id = \(caller.user))", logger: logger)
        for try await exists in rows.decode(Bool.self) where exists { return }
        throw caller.withoutScope
    }

    /// A check-in request's fields, checked: a gate name as at the nodes (``FieldLimits/gateName``),
    /// a payload of at most 4 KiB, direction entry (the default) or exit.
    static func validated(payload: String, gate: String?, direction: String?) throws -> (gate: String, direction: ScanDirection) {
        var validator = Validator()
        let gate = (gate ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if let problem = FieldLimits.gateNameProblem(gate) { validator.check(false, "gate", problem) }
        validator.check(payload.utf8.count <= 4096, "payload", "is too long")
        let parsed = ScanDirection(rawValue: direction ?? ScanDirection.entry.rawValue)
        validator.check(parsed != nil, "direction", "must be \(ScanDirection.sentenceList)")
        try validator.throwIfInvalid()
        return (gate, parsed!)
    }
}
