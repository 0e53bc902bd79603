import Foundation
import Hummingbird

/// The organizer's home: the dashboard, the organizer profile (become one, edit, delete), door
/// staff accounts and the audit trail.
struct OrganizerPages: OrganizerPage, Sendable {
    let pages: PageRenderer
    let organizers: OrganizerRepository
    let events: EventRepository
    let venues: VenueRepository
    let staffAccounts: StaffRepository
    let statistics: StatisticsController
    let database: Database
    let clock: ServerClock

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("organizer", use: dashboard)
        site.get("organizer/profile", use: profile)
        site.post("organizer/profile", use: saveProfile)
        site.post("organizer/profile/delete", use: deleteProfile)
        site.get("organizer/staff", use: staff)
        site.post("organizer/staff", use: createStaff)
        site.get("organizer/audit", use: audit)
    }

    @Sendable func dashboard(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        if identity.role == .attendee { return .redirect(to: "/organizer/profile") }
        let (organizer, _) = try await organizer(context)
        let mine = try await events.events(organizer: organizer.id, status: nil, logger: context.logger)
        let places = try await venues.venues(organizer: organizer.id, logger: context.logger)
        let report = try await statistics.report(organizer: organizer.id, event: nil, timeZone: nil, logger: context.logger)
        let days = BarChart(
            bars: report.byDay.suffix(14).map { ($0.day, Double($0.sold), nil) }, unit: "tickets sold online per day (UTC)")
        return try pages.render(
            "organizer", title: "Organizer",
            page: DashboardPage(
                notice: notice(request), name: organizer.name, verified: organizer.verified,
                events: mine.map { EventCardView($0) }, hasEvents: !mine.isEmpty,
                venues: places.map { .init(id: Self.id($0.id), name: $0.name, city: $0.city, timeZone: $0.timeZone) },
                hasVenues: !places.isEmpty, salesChart: days, hasSales: !report.byDay.isEmpty,
                downloads: OrganizerRecordsPages.downloads(.organizer(organizer.id)),
                ticketsSold: report.byTicketType.reduce(0) { $0 + $1.sold - $1.refunded },
                doorTickets: report.doorSales.tickets, openConflicts: report.conflicts.reduce(0) { $0 + $1.count }),
            web: context.web)
    }

    /// The organizer's start page: figures at a glance, events, venues, downloads.
    struct DashboardPage {
        struct Venue {
            let id: String
            let name: String
            let city: String
            let timeZone: String
        }

        let notice: String?
        let name: String
        let verified: Bool
        let events: [EventCardView]
        let hasEvents: Bool
        let venues: [Venue]
        let hasVenues: Bool
        let salesChart: BarChart
        let hasSales: Bool
        let downloads: [OrganizerRecordsPages.Download]
        let ticketsSold: Int
        let doorTickets: Int
        let openConflicts: Int
    }

    // MARK: Profile

    private func profileForm(
        _ current: Organizer?, values: [String: String], problem: String?, status: HTTPResponse.Status, notice: String?,
        context: AppRequestContext
    ) throws -> Response {
        try pages.render(
            "organizer_profile", title: current == nil ? "Become an organizer" : "Organizer profile",
            page: ProfilePage(
                creating: current == nil, values: values, problem: problem, notice: notice, verified: current?.verified ?? false),
            web: context.web, status: status)
    }

    /// The organizer profile form (or the form to become one).
    struct ProfilePage {
        let creating: Bool
        let values: [String: String]
        let problem: String?
        let notice: String?
        let verified: Bool
    }

    /// An attendee sees the form to become an organizer; an organizer edits their profile.
    @Sendable func profile(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        if identity.role == .attendee {
            return try profileForm(nil, values: [:], problem: nil, status: .ok, notice: nil, context: context)
        }
        let (current, _) = try await organizer(context)
        let values = [
            "name": current.name, "description": current.description, "contact_email": current.contactEmail ?? "",
            "website": current.website ?? "",
        ]
        return try profileForm(current, values: values, problem: nil, status: .ok, notice: notice(request), context: context)
    }

    @Sendable func saveProfile(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let form = context.web.form
        let values = Dictionary(
            ["name", "description", "contact_email", "website"].map { ($0, form[$0] ?? "") }, uniquingKeysWith: { first, _ in first })
        let body = OrganizerController.ProfileRequest(
            name: values["name"], description: values["description"], contactEmail: values["contact_email"],
            website: values["website"])
        var current: Organizer?
        do {
            if identity.role == .attendee {
                _ = try await organizers.create(
                    userID: identity.userID, fields: try OrganizerController.fields(body, current: nil), now: clock.now(),
                    logger: context.logger)
                return .redirect(to: "/organizer?notice=organizer_created")
            }
            current = try await organizer(context).0
            _ = try await organizers.update(
                current!, fields: try OrganizerController.fields(body, current: current), actor: identity.userID,
                now: clock.now(), logger: context.logger)
            return .redirect(to: "/organizer/profile?notice=profile_saved")
        } catch let error as DomainError where error.isFormProblem {
            return try profileForm(
                current, values: values, problem: error.formProblem, status: error.status, notice: nil, context: context)
        }
    }

    @Sendable func deleteProfile(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (current, identity) = try await organizer(context)
        do {
            try await organizers.delete(current, actor: identity.userID, now: clock.now(), logger: context.logger)
        } catch let error as DomainError where error.kind == .conflict {
            let values = [
                "name": current.name, "description": current.description, "contact_email": current.contactEmail ?? "",
                "website": current.website ?? "",
            ]
            return try profileForm(
                current, values: values, problem: error.message, status: error.status, notice: nil, context: context)
        }
        return .redirect(to: "/account?notice=organizer_deleted")
    }

    // MARK: Staff

    private func staffPage(
        values: [String: String], problem: String?, status: HTTPResponse.Status, notice: String?, context: AppRequestContext
    ) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        let members = try await staffAccounts.staff(organizer: organizer.id, logger: context.logger)
        return try pages.render(
            "organizer_staff", title: "Door staff",
            page: StaffPage(
                notice: notice, problem: problem, values: values, hasStaff: !members.isEmpty,
                staff: members.map { .init(name: $0.displayName, email: $0.email, since: Formatting.dateTime($0.createdAt)) }),
            web: context.web, status: status)
    }

    /// The organizer's door staff and the form to add one.
    struct StaffPage {
        struct Member {
            let name: String
            let email: String
            let since: String
        }

        let notice: String?
        let problem: String?
        let values: [String: String]
        let hasStaff: Bool
        let staff: [Member]
    }

    @Sendable func staff(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await staffPage(values: [:], problem: nil, status: .ok, notice: notice(request), context: context)
    }

    @Sendable func createStaff(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let form = context.web.form
        do {
            let member = try StaffRepository.NewMember(
                email: form["email"], displayName: form["display_name"], password: form["password"])
            _ = try await staffAccounts.create(
                member, organizer: organizer.id, actor: identity.userID, now: clock.now(), logger: context.logger)
        } catch let error as DomainError where error.isFormProblem {
            // The password is never sent back into the page.
            let values = ["email": form["email"] ?? "", "display_name": form["display_name"] ?? ""]
            return try await staffPage(
                values: values, problem: error.formProblem, status: error.status, notice: nil, context: context)
        }
        return .redirect(to: "/organizer/staff?notice=staff_created")
    }

    // MARK: Audit trail

    @Sendable func audit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        let beforeText = request.uri.queryParameters["before"].map(String.init)
        let before = beforeText.flatMap(Int64.init)
        guard beforeText == nil || before != nil else { throw WebError.page(.badRequest, "That page of the trail does not exist.") }
        let limit = 50
        let entries = try await AuditLog.entries(
            database: database, organizer: organizer.id, before: before, limit: limit, logger: context.logger)
        let older: String? = entries.count == limit ? entries.last.map { String($0.id) } : nil
        return try pages.render(
            "organizer_audit", title: "Audit trail",
            page: AuditPage(
                entries: entries.map { entry in
                    .init(
                        when: Formatting.dateTime(entry.at), action: entry.action, entity: entry.entityType,
                        changes: entry.changes.sorted { $0.key < $1.key }.map {
                            "\($0.key): \($0.value.from ?? "–") → \($0.value.to ?? "–")"
                        }.joined(separator: "; "))
                },
                hasEntries: !entries.isEmpty, older: older),
            web: context.web)
    }

    /// A page of the organizer's audit trail, newest first.
    struct AuditPage {
        struct Entry {
            let when: String
            let action: String
            let entity: String
            let changes: String
        }

        let entries: [Entry]
        let hasEntries: Bool
        let older: String?
    }
}
