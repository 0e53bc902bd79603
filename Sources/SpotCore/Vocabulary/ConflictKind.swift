/// A contradiction between a node's fact and central state (`SyncProtocol/sync-v1.md` §7).
/// The fact is always kept; the conflict is recorded for the organizer.
public enum ConflictKind: String, Vocabulary {
    /// Two or more accepted entries of one single-entry ticket: all but the first are conflicts.
    case duplicateAdmission = "duplicate_admission"
    /// An entry accepted offline after a central revocation the node had not heard of.
    case admittedAfterRevocation = "admitted_after_revocation"
    /// A door sale for an event cancelled centrally (money was taken: refund flow offered).
    case saleForCancelledEvent = "sale_for_cancelled_event"
    /// A door sale the node's remaining allotment did not cover.
    case saleBeyondAllotment = "sale_beyond_allotment"

    public static let vocabularyName = "conflict kind"
}
