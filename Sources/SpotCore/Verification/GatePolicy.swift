import Foundation

/// Direction of a scan at a gate.
public enum ScanDirection: String, Vocabulary {
    case entry
    case exit

    public static let vocabularyName = "direction"
}

/// Whether a ticket may enter again after it has left.
public enum ReentryPolicy: String, RestrictiveVocabulary {
    /// One admission per ticket, whatever happens after.
    case singleEntry = "single_entry"
    /// Re-entry allowed once an exit scan has recorded the holder leaving.
    case reentryAfterExit = "reentry_after_exit"
    /// A policy this software does not know: nobody is admitted (`unsupported_policy`).
    case unrecognized

    public static let vocabularyName = "reentry_policy"
}

/// How a gate treats one event it admits.
public struct EventAdmission: Sendable, Hashable {
    public var eventID: UUID
    public var isCancelled: Bool
    /// The ticket types this gate admits; `nil` admits every type.
    public var allowedTicketTypes: Set<UUID>?
    public var reentryPolicy: ReentryPolicy

    public init(
        eventID: UUID, isCancelled: Bool = false, allowedTicketTypes: Set<UUID>? = nil,
        reentryPolicy: ReentryPolicy = .singleEntry
    ) {
        self.eventID = eventID
        self.isCancelled = isCancelled
        self.allowedTicketTypes = allowedTicketTypes
        self.reentryPolicy = reentryPolicy
    }
}

/// What a gate admits.
public struct GatePolicy: Sendable, Hashable {
    /// The gate's name, recorded with each scan and shown in `already_admitted`.
    public var gate: String
    /// When set, tickets signed by device keys must come from a device of this venue.
    public var venueID: UUID?
    /// The events this gate admits, by id; `nil` admits any event with a single-entry
    /// policy (a signature check, as `spot ticket verify` without `--event` does).
    public var events: [UUID: EventAdmission]?

    public init(gate: String, venueID: UUID? = nil, events: [EventAdmission]?) {
        self.gate = gate
        self.venueID = venueID
        self.events = events.map { Dictionary($0.map { ($0.eventID, $0) }, uniquingKeysWith: { _, last in last }) }
    }

    func admission(for eventID: UUID) -> EventAdmission? {
        guard let events else { return EventAdmission(eventID: eventID) }
        return events[eventID]
    }
}
