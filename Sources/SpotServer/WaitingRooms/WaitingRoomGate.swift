import Foundation
import Logging

/// The check a hold passes when its event's sale is behind a waiting room: the buyer brings
/// the pass the room gave them. The API and the web site both ask here.
struct WaitingRoomGate: Sendable {
    let rooms: WaitingRoomRepository
    let passes: WaitingRoomPasses

    /// Throws 403 `waiting_room_pass_required` unless the event has no waiting room or `pass`
    /// admits `user` to it now.
    func check(event: UUID, user: UUID, pass: String?, now: Date, logger: Logger) async throws {
        guard try await rooms.opening(event: event, logger: logger) != nil else { return }
        guard let pass, passes.admits(pass, event: event, user: user, now: now) else {
            throw DomainError(
                .forbidden, .waitingRoomPassRequired,
                "This sale has a waiting room: join the line, and book with the pass it gives you when it lets you in.")
        }
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
