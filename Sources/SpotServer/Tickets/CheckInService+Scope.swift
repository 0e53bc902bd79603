import Foundation
import Logging
import SpotCore

extension CheckInService {
    /// Whose events a user may check tickets in for: any organizer's (nil, admins), their own
    /// (organizers), their employer's (door staff); attendees none (403). Kept in ``CheckInFacts``.
    func scope(
        of identity: Identity, organizers: OrganizerRepository, staff: StaffRepository, logger: Logger
    ) async throws -> Set<UUID>? {
        switch identity.role {
        case .admin:
            return nil
        case .attendee:
            throw DomainError.forbidden("Only door staff, organizers and admins check tickets in.")
        case .organizer, .staff:
            break
        }
        var scope = facts.scope(of: identity.userID, as: identity.role)
        if scope == nil {
            let generation = facts.generation
            let read = identity.role == .organizer
                ? Set([try await organizers.organizer(userID: identity.userID, logger: logger)?.id].compactMap { $0 })
                : try await staff.organizers(ofStaff: identity.userID, logger: logger)
            facts.keep(read, of: identity.userID, as: identity.role, readAt: generation)
            scope = read
        }
        guard let scope, !scope.isEmpty else {
            throw DomainError.forbidden(
                identity.role == .organizer
                    ? "Create your organizer profile first (POST /api/v1/organizers)."
                    : "This staff account is not assigned to an organizer.")
        }
        return scope
    }

    /// A check-in request's fields, checked: a gate name as at the nodes (``FieldLimits/gateName``),
    /// a payload of at most 4 KiB, direction entry (the default) or exit.
    static func validated(payload: String, gate: String?, direction: String?) throws -> (gate: String, direction: ScanDirection) {
        var validator = Validator()
        let gate = (gate ?? "").trimmingWhitespace(newlines: true)
        if let problem = FieldLimits.gateNameProblem(gate) { validator.check(false, "gate", problem) }
        validator.check(payload.utf8.count <= 4096, "payload", "is too long")
        let parsed = ScanDirection(rawValue: direction ?? ScanDirection.entry.rawValue)
        validator.check(parsed != nil, "direction", "must be \(ScanDirection.sentenceList)")
        try validator.throwIfInvalid()
        return (gate, parsed!)
    }
}
