import Foundation

/// A waiting room's passes, as the hold routes and the line's pages use them. Whether an
/// event has a room is read with the hold itself (``BookingRepository/hold(_:user:admittedByWaitingRoom:holdDuration:now:logger:)``),
/// so a sale without one costs no extra read.
struct WaitingRoomGate: Sendable {
    let passes: WaitingRoomPasses

    /// Whether `pass` (if any) lets `user` book `event` now.
    func admits(_ pass: String?, event: UUID, user: UUID, now: Date) -> Bool {
        pass.map { passes.admits($0, event: event, user: user, now: now) } ?? false
    }

    /// What `place` means to its buyer now, with a fresh pass while they are let in.
    func entry(event: UUID, user: UUID, place: WaitingRoomRepository.Place, now: Date) -> WaitingRoomEntry {
        let status = place.status(at: now)
        let position = status == .waiting ? place.ahead + 1 : nil
        return WaitingRoomEntry(
            eventID: event, status: status, position: position,
            estimatedWaitSeconds: position.map { Int((Double($0) * 60 / Double(place.admitPerMinute)).rounded(.up)) },
            joinedAt: place.joinedAt, admittedAt: place.admittedAt,
            pass: status == .admitted ? place.passExpiresAt.map { passes.issue(event: event, user: user, expires: $0) } : nil,
            passExpiresAt: status == .waiting ? nil : place.passExpiresAt)
    }
}
