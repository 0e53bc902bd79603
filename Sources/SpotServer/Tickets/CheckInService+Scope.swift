import Foundation
import Logging
import SpotCore

extension CheckInService {
    /// Whose events a user may check tickets in for: any organizer's (nil, admins), their own
    /// (organizers), their employer's (door staff); attendees none (403).
    static func scope(
        of identity: Identity, organizers: OrganizerRepository, staff: StaffRepository, logger: Logger
    ) async throws -> Set<UUID>? {
        switch identity.role {
        case .admin:
            return nil
        case .organizer:
            return [try await organizers.requireOwnProfile(identity, logger: logger).id]
        case .staff:
            let assigned = try await staff.organizers(ofStaff: identity.userID, logger: logger)
            guard !assigned.isEmpty else { throw DomainError.forbidden("This staff account is not assigned to an organizer.") }
            return assigned
        case .attendee:
            throw DomainError.forbidden("Only door staff, organizers and admins check tickets in.")
        }
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
