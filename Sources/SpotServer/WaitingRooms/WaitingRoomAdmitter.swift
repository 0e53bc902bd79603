import Foundation
import Logging
import ServiceLifecycle

/// Lets buyers in from every open waiting room, one round each `interval` (a second by
/// default). Every replica may run it: rounds take each room's row lock, skip rooms another
/// replica holds, and count time from the room's last round, so the rate is the organizer's
/// however many replicas run.
public struct WaitingRoomAdmitter: Service {
    let rooms: WaitingRoomRepository
    let interval: Duration
    let clock: ServerClock
    let logger: Logger

    public func run() async throws {
        try await runLoop(idle: interval, logger: logger) {
            let admitted = try await rooms.admit(now: clock.now(), logger: logger)
            if admitted > 0 { logger.debug("waiting rooms let buyers in", metadata: ["admitted": "\(admitted)"]) }
            return 0
        }
    }
}
