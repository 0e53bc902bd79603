import ServiceLifecycle

/// Opens once the database is migrated; background services wait for it, so they never
/// query tables a fresh database does not have yet.
actor StartupGate {
    private(set) var isOpen = false

    func open() { isOpen = true }
}

/// Runs `service` once `gate` opens (or not at all if shut down first).
struct AfterStartup<Wrapped: Service>: Service {
    let gate: StartupGate
    let service: Wrapped

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while await !gate.isOpen { try await Task.sleep(for: .milliseconds(50)) }
            }
        } catch {
            return  // shut down before startup finished
        }
        try await service.run()
    }
}
