import Foundation
import GRDB

/// The staff PIN's hash (the PIN itself is never stored).
extension NodeDatabase {
    /// Sets (or replaces) the staff PIN; `hash` comes from ``StaffPIN/hash(_:)``.
    public func setStaffPIN(hash: String, now: Date) throws {
        try writer.write { db in try StaffPINRow(hash: hash, setAt: now).save(db) }
    }

    /// The staff PIN's hash, or nil when no PIN has been set yet.
    public func staffPINHash() throws -> String? {
        try writer.read { db in try StaffPINRow.fetchOne(db)?.hash }
    }
}
