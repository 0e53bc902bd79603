import Foundation
import Hummingbird
import SpotCore

/// Online check-in in the browser for door staff, organizers and admins: type or scan (a
/// keyboard-wedge scanner types and presses Enter) a ticket's code, see green, amber or red.
struct CheckInPages: Sendable {
    let pages: PageRenderer
    let checkIns: CheckInService
    let organizers: OrganizerRepository
    let staffAccounts: StaffRepository
    let clock: ServerClock

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("check-in", use: form)
        site.post("check-in", use: checkIn)
    }

    /// The check-in form, with the last ticket's verdict.
    struct CheckInPage {
        struct Result {
            let signal: String
            let verdict: String
            let message: String
            let admitted: Bool
        }

        let gate: String
        let exit: Bool
        let result: Result?
        let problem: String?
    }

    private func page(
        gate: String, direction: String, result: CheckInPage.Result?, problem: String?, status: HTTPResponse.Status,
        context: AppRequestContext
    ) throws -> Response {
        try pages.render(
            "check_in", title: "Check-in",
            page: CheckInPage(gate: gate, exit: direction == "exit", result: result, problem: problem), web: context.web,
            status: status)
    }

    @Sendable func form(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        _ = try await checkIns.scope(of: identity, organizers: organizers, staff: staffAccounts, logger: context.logger)
        return try page(gate: "Main", direction: ScanDirection.entry.rawValue, result: nil, problem: nil, status: .ok, context: context)
    }

    @Sendable func checkIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let scope = try await checkIns.scope(
            of: identity, organizers: organizers, staff: staffAccounts, logger: context.logger)
        let form = context.web.form
        let payload = (form["payload"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let gateText = form["gate"] ?? ""
        let directionText = form["direction"] ?? ScanDirection.entry.rawValue
        let gate: String
        let direction: ScanDirection
        do {
            (gate, direction) = try CheckInService.validated(payload: payload, gate: gateText, direction: directionText)
        } catch let error as DomainError where error.kind == .invalid {
            return try page(
                gate: gateText, direction: directionText, result: nil, problem: error.formProblem,
                status: .unprocessableContent, context: context)
        }
        let outcome = try await checkIns.checkIn(
            payload: payload, gate: gate, direction: direction, organizers: scope, recordedBy: identity.userID,
            now: clock.now(), logger: context.logger)
        let result = outcome.result
        return try page(
            gate: gate, direction: direction.rawValue,
            result: .init(
                signal: result.verdict.signal.rawValue, verdict: result.verdict.code.rawValue.replacingOccurrences(of: "_", with: " "),
                message: result.message(), admitted: result.verdict.passes),
            problem: nil, status: .ok, context: context)
    }
}
