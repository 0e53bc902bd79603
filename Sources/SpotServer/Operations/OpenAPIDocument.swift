import Foundation
import SpotCore

/// The OpenAPI 3.1 description of the whole HTTP API, served at `/openapi.json`.
/// A test compares its paths and methods with the router's, so it cannot fall behind.
enum OpenAPIDocument {
    static let json: Data = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A document of strings, numbers, booleans, arrays and objects always encodes.
        return try! encoder.encode(document)
    }()

    static var document: JSONValue {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "HVFLVSPOT central server API",
                "version": .string(HVFLVSPOT.version),
                "description": """
                    Offline-first ticketing: accounts, organizers, venues, events with search and \
                    recommendations, ticket types. Every error has the shape \
                    {"error":{"code","message","fields"?}}. JSON keys are snake_case; times are ISO 8601.
                    """,
            ],
            "servers": [["url": "/"]],
            "tags": .array([
                "Operations", "Auth", "Organizers", "Admin", "Venues", "Events", "Ticket types", "Bookings", "Tickets",
                "Notifications", "Statistics", "Exports", "Webhooks", "Venue nodes", "Sync",
            ].map { ["name": .string($0)] }),
            "paths": .object(paths),
            "components": ["securitySchemes": securitySchemes, "schemas": .object(schemas)],
        ]
    }

    // MARK: Building blocks

    static func ref(_ schema: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(schema)")] }
    static let uuid: JSONValue = ["type": "string", "format": "uuid"]
    static let dateTime: JSONValue = ["type": "string", "format": "date-time"]
    static let string: JSONValue = ["type": "string"]
    static let integer: JSONValue = ["type": "integer"]
    /// An integer the server accepts only inside `range` (the same bounds it checks, e.g. ``FieldLimits``).
    static func integer<T: BinaryInteger>(_ range: ClosedRange<T>) -> JSONValue {
        ["type": "integer", "minimum": .int(Int(range.lowerBound)), "maximum": .int(Int(range.upperBound))]
    }
    static let boolean: JSONValue = ["type": "boolean"]
    static func nullable(_ type: String, format: String? = nil) -> JSONValue {
        format.map { ["type": [.string(type), "null"], "format": .string($0)] } ?? ["type": [.string(type), "null"]]
    }
    static func list(_ item: JSONValue) -> JSONValue { ["type": "array", "items": item] }

    // Request fields, described as strictly as the server checks them (`Validator`): text is
    // trimmed and must not be blank, and stays within its length.
    // No request text may hold a NUL character (a 422, whatever the field).
    static func text(_ maximum: Int) -> JSONValue {
        ["type": "string", "minLength": 1, "maxLength": .int(maximum), "pattern": "^[^\\x00]*[^\\s\\u0085\\x00][^\\x00]*$"]
    }
    static func optionalText(_ maximum: Int) -> JSONValue {
        ["type": "string", "maxLength": .int(maximum), "pattern": "^[^\\x00]*$"]
    }

    /// A request body: the properties not listed as required may also be null (read as absent),
    /// and properties the server does not know are ignored.
    static func request(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        object(
            properties.reduce(into: [:]) { result, property in
                result[property.key] = required.contains(property.key)
                    ? property.value : ["anyOf": [property.value, ["type": "null"]]]
            }, required: required
        ).merging(["additionalProperties": true])
    }
    static let emailField: JSONValue = [
        "type": "string", "maxLength": 254, "pattern": "^[^@\\s\\u0085]+@[^@\\s\\u0085]*\\.[^@\\s\\u0085]*$",
    ]
    static let passwordField: JSONValue = [
        "type": "string", "pattern": "^[\\x20-\\x7E]{10,72}$", "description": "10 characters to 72 bytes",
    ]
    static let timeZoneField: JSONValue = [
        "type": "string", "enum": .array(TimeZone.knownTimeZoneIdentifiers.sorted().map { .string($0) }),
        "description": "IANA time zone, e.g. Europe/Berlin",
    ]
    static func vocabulary<V: Vocabulary>(_ type: V.Type) -> JSONValue {
        ["type": "string", "enum": .array(V.wireValues.map { .string($0) })]
    }

    /// An object schema; by default every property is required except nullable ones
    /// (the API omits absent optional values rather than sending null).
    static func object(_ properties: [String: JSONValue], required: [String]? = nil) -> JSONValue {
        let isNullable = { (schema: JSONValue) in
            if case .array(let types) = schema.members["type"] ?? .bool(false) { return types.contains("null") }
            return false
        }
        let requiredKeys = required ?? properties.filter { !isNullable($0.value) }.keys.sorted()
        // additionalProperties false: a field the server sends but the document lacks fails the schema tests.
        return [
            "type": "object", "properties": .object(properties), "required": .array(requiredKeys.map { .string($0) }),
            "additionalProperties": false,
        ]
    }

    static func items(_ schema: String) -> JSONValue { object(["items": list(ref(schema))]) }

    static func pathParameter(_ name: String) -> JSONValue {
        ["name": .string(name), "in": "path", "required": true, "schema": uuid]
    }

    static let idempotencyKey: JSONValue = [
        "name": "Idempotency-Key", "in": "header", "required": true,
        "schema": ["type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"],
        "description": "Any unique string (e.g. a UUID). A retry with the same key and body gets the same answer and never pays twice.",
    ]

    static let waitingRoomPass: JSONValue = [
        "name": "Waiting-Room-Pass", "in": "header", "required": false,
        "schema": ["type": "string", "maxLength": 200],
        "description": "The pass the event's waiting room gave you when it let you in (GET …/waiting-room/entries/me).",
    ]

    static func textQuery(_ name: String, _ description: String) -> JSONValue {
        query(name, ["type": "string", "maxLength": .int(FieldLimits.gateName.upperBound), "pattern": "^[^\\x00]*$"], description)
    }
    static func uuidQuery(_ name: String, _ description: String) -> JSONValue { query(name, uuid, description) }
    static var limitQuery: JSONValue {
        query("limit", integer(EventRecordsController.pageSize), "Rows a page holds (50 unless asked)")
    }
    static let cursorQuery: JSONValue = query(
        "cursor", ["type": "string", "maxLength": 100], "The `next_cursor` of the page before (400 `cursor_invalid` otherwise)")

    static var transactionQueries: [JSONValue] {
        [uuidQuery("event_id", "Only this event's"), query("kind", ["type": "string", "enum": ["charge", "refund"]], "Only charges or refunds"),
         query("from", dateTime, "Made at or after"), query("until", dateTime, "Made before"), limitQuery, cursorQuery]
    }
    static var transactionPage: JSONValue { object(["items": list(ref("Transaction")), "next_cursor": nullable("string")]) }

    static let exportKind: JSONValue = [
        "name": "kind", "in": "path", "required": true,
        "schema": ["type": "string", "enum": .array(ExportKind.allCases.map { .string($0.rawValue) })],
        "description": "Which list (the columns of each: docs/exports.md)",
    ]

    /// A CSV download (RFC 4180, UTF-8, a header row), streamed; its errors are JSON as everywhere.
    static func csvDownload(_ id: String, _ summary: String, parameters: [JSONValue], errors: [Int]) -> JSONValue {
        var responses: [String: JSONValue] = [
            "200": ["description": "CSV with a header row", "content": ["text/csv": ["schema": string]]],
        ]
        for code in Set(errors).union([401, 422, 503]).sorted() {
            responses[String(code)] = [
                "description": .string(HTTPStatusText.phrase(code)), "content": ["application/json": ["schema": ref("Error")]],
            ]
        }
        return [
            "operationId": .string(id), "tags": ["Exports"], "summary": .string(summary), "parameters": .array(parameters),
            "security": [["bearer": []]], "responses": .object(responses),
        ]
    }

    static func query(_ name: String, _ schema: JSONValue, _ description: String) -> JSONValue {
        ["name": .string(name), "in": "query", "required": false, "schema": schema, "description": .string(description)]
    }

    /// One operation. `auth`: nil public, "optional" or "required"; errors list the statuses it may answer.
    static func operation(
        _ id: String, _ tag: String, _ summary: String, auth: String? = nil, parameters: [JSONValue] = [],
        body: String? = nil, bodyRequired: Bool = true, status: Int = 200, response: JSONValue? = nil, errors: [Int] = []
    ) -> JSONValue {
        var responses: [String: JSONValue] = [:]
        if let response {
            responses[String(status)] = [
                "description": "Success", "content": ["application/json": ["schema": response]],
            ]
        } else {
            responses[String(status)] = ["description": "Success, no content"]
        }
        var allErrors = Set(errors)
        if body != nil { allErrors.formUnion([400, 413, 422]) }
        // Every API route refuses a bearer token that is invalid, expired or revoked, public ones too;
        // every route answers 503 when the database is not answering, and a URL that is not UTF-8 text is 422.
        allErrors.formUnion([401, 422, 503])
        for code in allErrors.sorted() {
            responses[String(code)] = [
                "description": .string(HTTPStatusText.phrase(code)),
                "content": ["application/json": ["schema": ref("Error")]],
            ]
        }
        var operation: [String: JSONValue] = [
            "operationId": .string(id), "tags": [.string(tag)], "summary": .string(summary),
            "responses": .object(responses),
        ]
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let body {
            operation["requestBody"] = [
                "required": .bool(bodyRequired), "content": ["application/json": ["schema": ref(body)]],
            ]
        }
        if auth == "required" { operation["security"] = [["bearer": []]] }
        if auth == "optional" { operation["security"] = [["bearer": []], [:]] }
        return .object(operation)
    }

    static let securitySchemes: JSONValue = [
        "bearer": [
            "type": "http", "scheme": "bearer",
            "description": "An access token (JWT from login, register or refresh) or a system token (spot_st_…).",
        ]
    ]

    /// A sync protocol route: a node's device credential, messages specified in `SyncProtocol/README.md`.
    static func syncOperation(_ id: String, _ summary: String, status: Int = 200) -> JSONValue {
        var value = operation(id, "Sync", summary, body: "SyncMessage", status: status, response: ref("SyncMessage"), errors: [401, 403, 404, 409])
        if case .object(var members) = value, id != "syncEnroll" {
            members["security"] = [["bearer": []]]
            value = .object(members)
        }
        return value
    }

    // MARK: Paths

    static var paths: [String: JSONValue] {
        let id = pathParameter("id")
        let page: [JSONValue] = [
            query("before", integer(1...Int64.max), "Return entries older than this id (from next_before)."),
            query("limit", integer(1...200), "Entries per page, 1 to 200 (default 50)."),
        ]
        let search: [JSONValue] = [
            query("q", string, "Words to find; typos are tolerated (trigram match on titles)."),
            query("category", string, "A category id (see /api/v1/categories)."),
            query("city", string, "The venue's city, case-insensitive."),
            query("from", dateTime, "Events starting at or after this instant (default: now)."),
            query("to", dateTime, "Events starting before this instant."),
            query("free", boolean, "true: only free events (cheapest ticket 0); false: only paid."),
            query("min_price", integer(FieldLimits.priceMinor), "Cheapest ticket at least this many minor units."),
            query("max_price", integer(FieldLimits.priceMinor), "Cheapest ticket at most this many minor units."),
            query("sort", ["type": "string", "enum": ["relevance", "date"]], "relevance (default, with q) or date."),
            query("page", integer(1...10_000), "Page number from 1."),
            query("per_page", integer(1...100), "1 to 100 (default 20)."),
        ]
        return [
            "/health": ["get": operation("health", "Operations", "Database reachability, version, migration level",
                                         response: ref("Health"), errors: [503])],
            "/metrics": ["get": [
                "operationId": "metrics", "tags": ["Operations"], "summary": "Prometheus metrics (text exposition format)",
                "responses": ["200": ["description": "Metrics", "content": ["text/plain": ["schema": string]]]],
            ]],
            "/openapi.json": ["get": [
                "operationId": "openapi", "tags": ["Operations"], "summary": "This document",
                "responses": ["200": ["description": "OpenAPI 3.1", "content": ["application/json": ["schema": ["type": "object"]]]]],
            ]],
            "/api/v1/auth/register": ["post": operation(
                "register", "Auth", "Create an account (attendee or organizer) and sign in", body: "RegisterRequest",
                status: 201, response: ref("SessionTokens"), errors: [409, 429])],
            "/api/v1/auth/login": ["post": operation(
                "login", "Auth", "Sign in (5 attempts per minute per address and per account)", body: "LoginRequest",
                response: ref("SessionTokens"), errors: [401, 429])],
            "/api/v1/auth/refresh": ["post": operation(
                "refresh", "Auth", "Exchange a refresh token for new tokens (a reused token revokes the session)",
                body: "RefreshRequest", response: ref("SessionTokens"), errors: [401, 429])],
            "/api/v1/auth/logout": ["post": operation(
                "logout", "Auth", "End the session: its tokens stop working at once", auth: "required", status: 204,
                errors: [400])],
            "/api/v1/auth/me": ["get": operation("me", "Auth", "The signed-in user", auth: "required", response: ref("User"))],
            "/api/v1/auth/system-tokens": [
                "get": operation("listSystemTokens", "Auth", "Your system tokens", auth: "required", response: items("SystemToken")),
                "post": operation(
                    "createSystemToken", "Auth", "Create a 30-day system token for a device or integration (shown once)",
                    auth: "required", body: "SystemTokenRequest", status: 201, response: ref("CreatedSystemToken"),
                    errors: [403]),
            ],
            "/api/v1/auth/system-tokens/{id}": ["delete": operation(
                "revokeSystemToken", "Auth", "Revoke one of your system tokens", auth: "required", parameters: [id],
                status: 204, errors: [404])],
            "/api/v1/organizers": ["post": operation(
                "createOrganizer", "Organizers", "Become an organizer (unverified until an admin verifies you)",
                auth: "required", body: "OrganizerCreateRequest", status: 201, response: ref("Organizer"), errors: [403, 409])],
            "/api/v1/organizers/me": [
                "get": operation("myOrganizer", "Organizers", "Your organizer profile", auth: "required",
                                 response: ref("Organizer"), errors: [403]),
                "patch": operation("updateOrganizer", "Organizers", "Update your profile (\"\" clears contact_email or website)",
                                   auth: "required", body: "OrganizerRequest", response: ref("Organizer"), errors: [403]),
                "delete": operation("deleteOrganizer", "Organizers", "Delete your profile (only with no venues or events)",
                                    auth: "required", status: 204, errors: [403, 409]),
            ],
            "/api/v1/organizers/me/audit": ["get": operation(
                "myAudit", "Organizers", "Who changed what and when, newest first", auth: "required", parameters: page,
                response: ref("AuditPage"), errors: [403, 422])],
            "/api/v1/organizers/me/events": ["get": operation(
                "myEvents", "Events", "Your events, drafts included", auth: "required",
                parameters: [query("status", ["type": "string", "enum": ["draft", "published", "cancelled"]], "Only this status.")],
                response: items("Event"), errors: [403, 422])],
            "/api/v1/organizers/{id}": ["get": operation(
                "organizer", "Organizers", "An organizer's public profile", parameters: [id], response: ref("Organizer"),
                errors: [404])],
            "/api/v1/admin/organizers": ["get": operation(
                "adminOrganizers", "Admin", "Organizers, optionally by verification", auth: "required",
                parameters: [query("verified", boolean, "true or false")], response: items("Organizer"), errors: [403, 422])],
            "/api/v1/admin/organizers/{id}/verify": ["post": operation(
                "verifyOrganizer", "Admin", "Verify an organizer so they can publish", auth: "required", parameters: [id],
                response: ref("Organizer"), errors: [403, 404])],
            "/api/v1/admin/users/{id}/role": ["put": operation(
                "setRole", "Admin", "Make a user an attendee, staff or admin", auth: "required", parameters: [id],
                body: "RoleRequest", response: ref("User"), errors: [403, 404, 409])],
            "/api/v1/admin/audit": ["get": operation(
                "adminAudit", "Admin", "The whole audit trail, newest first", auth: "required", parameters: page,
                response: ref("AuditPage"), errors: [403, 422])],
            "/api/v1/venues": [
                "get": operation("venues", "Venues", "Your venues", auth: "required", response: items("Venue"), errors: [403]),
                "post": operation("createVenue", "Venues", "Create a venue", auth: "required", body: "VenueCreateRequest",
                                  status: 201, response: ref("Venue"), errors: [403]),
            ],
            "/api/v1/venues/{id}": [
                "get": operation("venue", "Venues", "One of your venues", auth: "required", parameters: [id],
                                 response: ref("Venue"), errors: [403, 404]),
                "patch": operation("updateVenue", "Venues", "Update one of your venues", auth: "required", parameters: [id],
                                   body: "VenueRequest", response: ref("Venue"), errors: [403, 404]),
                "delete": operation("deleteVenue", "Venues", "Delete a venue no event uses and no node ever enrolled at", auth: "required",
                                    parameters: [id], status: 204, errors: [403, 404, 409]),
            ],
            "/api/v1/categories": ["get": operation("categories", "Events", "Event categories", response: items("Category"))],
            "/api/v1/events": [
                "get": operation("searchEvents", "Events", "Search upcoming published events", parameters: search,
                                 response: ref("EventPage"), errors: [422]),
                "post": operation("createEvent", "Events", "Create a draft event", auth: "required", body: "EventCreateRequest",
                                  status: 201, response: ref("Event"), errors: [403]),
            ],
            "/api/v1/events/recommended": ["get": operation(
                "recommendedEvents", "Events", "Upcoming events for you (popular ones when you have no bookings yet)",
                auth: "required", parameters: [query("limit", integer(1...50), "1 to 50 (default 10).")],
                response: items("Recommendation"), errors: [422])],
            "/api/v1/events/{id}": [
                "get": operation("event", "Events", "An event (drafts only to their organizer and admins)",
                                 auth: "optional", parameters: [id], response: ref("Event"), errors: [404]),
                "patch": operation("updateEvent", "Events", "Update your event", auth: "required", parameters: [id],
                                   body: "EventRequest", response: ref("Event"), errors: [403, 404, 409]),
                "delete": operation("deleteEvent", "Events", "Delete your draft", auth: "required", parameters: [id],
                                    status: 204, errors: [403, 404, 409]),
            ],
            "/api/v1/events/{id}/publish": ["post": operation(
                "publishEvent", "Events", "Publish your draft (verified organizers; needs a ticket type)",
                auth: "required", parameters: [id], response: ref("Event"), errors: [403, 404, 409])],
            "/api/v1/events/{id}/cancel": ["post": operation(
                "cancelEvent", "Events", "Cancel your event (or any, as admin)", auth: "required", parameters: [id],
                response: ref("Event"), errors: [403, 404])],
            "/api/v1/events/{id}/ticket-types": [
                "get": operation("ticketTypes", "Ticket types", "An event's ticket types", auth: "optional",
                                 parameters: [id], response: items("TicketType"), errors: [404]),
                "post": operation("createTicketType", "Ticket types", "Add a ticket type to your event", auth: "required",
                                  parameters: [id], body: "TicketTypeCreateRequest", status: 201, response: ref("TicketType"),
                                  errors: [403, 404, 409]),
            ],
            "/api/v1/bookings": [
                "get": operation("bookings", "Bookings", "Your bookings, newest first", auth: "required", response: items("Booking")),
                "post": operation(
                    "holdSeats", "Bookings",
                    "Hold seats while you pay (sold out and closed sales are 409; a sale behind a waiting room needs its pass, else 403)",
                    auth: "required", parameters: [waitingRoomPass], body: "HoldRequest", status: 201, response: ref("Booking"),
                    errors: [403, 404, 409]),
            ],
            "/api/v1/events/{id}/check-ins": ["get": operation(
                "eventCheckIns", "Event records",
                "Every check-in of your event, newest first (nodes' and online), filtered; `next_cursor` reads on",
                auth: "required",
                parameters: [id, textQuery("gate", "Only this gate"), uuidQuery("node", "Only this node (the server's all-zero id: online)"),
                             query("verdict", vocabulary(VerdictCode.self), "Only this verdict"),
                             query("direction", vocabulary(ScanDirection.self), "Only entries or exits"),
                             query("from", dateTime, "Scanned at or after"), query("until", dateTime, "Scanned before"),
                             uuidQuery("ticket", "Only this ticket"), limitQuery, cursorQuery],
                response: ref("CheckInPage"), errors: [400, 403, 404])],
            "/api/v1/events/{id}/dashboard": ["get": operation(
                "eventDashboard", "Event records",
                "Your event's doors now: admitted against sold, admissions a minute, gates, doors with their sync health, door sales, open conflicts",
                auth: "required", parameters: [id], response: ref("DoorDashboard"), errors: [403, 404])],
            "/api/v1/events/{id}/dashboard/stream": ["get": [
                "operationId": "eventDashboardStream", "tags": ["Event records"],
                "summary": "The dashboard as Server-Sent Events: an event `dashboard` (its data a DoorDashboard) at once and whenever it changes, within 2 s",
                "parameters": [id], "security": [["bearer": []]],
                "responses": .object(Dictionary(uniqueKeysWithValues: [
                    ("200", ["description": "text/event-stream", "content": ["text/event-stream": ["schema": string]]] as JSONValue),
                ] + [401, 403, 404, 422, 503].map { code in
                    (String(code), ["description": .string(HTTPStatusText.phrase(code)),
                                    "content": ["application/json": ["schema": ref("Error")]]] as JSONValue)
                })),
            ]],
            "/api/v1/events/{id}/exports/{kind}": ["get": csvDownload(
                "eventExport", "One of your event's lists as CSV (admins: any event's), oldest first, streamed",
                parameters: [id, exportKind], errors: [403, 404])],
            "/api/v1/organizers/me/exports/{kind}": ["get": csvDownload(
                "organizerExport",
                "One of your lists as CSV across all your events (event by event; transactions in the order they happened), streamed",
                parameters: [exportKind], errors: [403, 404])],
            "/api/v1/events/{id}/door-sales": ["get": operation(
                "eventDoorSales", "Event records", "Every door sale of your event, newest first, filtered; `next_cursor` reads on",
                auth: "required",
                parameters: [id, uuidQuery("node", "Only this node"), query("from", dateTime, "Recorded at or after"),
                             query("until", dateTime, "Recorded before"), uuidQuery("ticket", "Only the sale of this ticket"),
                             limitQuery, cursorQuery],
                response: ref("DoorSalePage"), errors: [400, 403, 404])],
            "/api/v1/events/{id}/waiting-room": [
                "put": operation(
                    "setWaitingRoom", "Waiting rooms", "Put your event's sale behind a waiting room, or change its opening, rate or pass",
                    auth: "required", parameters: [id], body: "WaitingRoomRequest", response: ref("WaitingRoom"), errors: [403, 404]),
                "get": operation(
                    "waitingRoom", "Waiting rooms", "Your event's waiting room: its settings, buyers waiting and let in",
                    auth: "required", parameters: [id], response: ref("WaitingRoom"), errors: [403, 404]),
                "delete": operation(
                    "removeWaitingRoom", "Waiting rooms", "Open your event's sale to everyone again", auth: "required",
                    parameters: [id], status: 204, errors: [403, 404]),
            ],
            "/api/v1/events/{id}/waiting-room/entries": ["post": operation(
                "joinWaitingRoom", "Waiting rooms",
                "Join the event's line (one place per account and per device; joining again returns the place you hold)",
                auth: "required", parameters: [id], body: "WaitingRoomJoinRequest", response: ref("WaitingRoomEntry"),
                errors: [404, 409])],
            "/api/v1/events/{id}/waiting-room/entries/me": ["get": operation(
                "myWaitingRoomPlace", "Waiting rooms", "Your place in the event's line, and your pass once let in",
                auth: "required", parameters: [id], response: ref("WaitingRoomEntry"), errors: [404])],
            "/api/v1/bookings/{id}": ["get": operation(
                "booking", "Bookings", "A booking (its buyer, the event's organizer, admins)", auth: "required",
                parameters: [id], response: ref("Booking"), errors: [404])],
            "/api/v1/bookings/{id}/cancel": ["post": operation(
                "cancelHold", "Bookings", "Release your unpaid hold", auth: "required", parameters: [id],
                response: ref("Booking"), errors: [404, 409])],
            "/api/v1/bookings/{id}/checkout": ["post": operation(
                "checkout", "Bookings",
                "Pay for a hold (simulation cards: 4242424242424242 success, 4000000000000002 declined, 4000000000009995 insufficient funds, 4000000000000119 processor error, 4000000000000259 timeout)",
                auth: "required", parameters: [id, idempotencyKey], body: "CheckoutRequest", response: ref("Booking"),
                errors: [402, 404, 409, 502, 504])],
            "/api/v1/bookings/{id}/refunds": ["post": operation(
                "refund", "Bookings", "Refund a paid booking, or some of its tickets (organizer or admin); refunded tickets are revoked",
                auth: "required", parameters: [id, idempotencyKey], body: "RefundRequest", response: ref("RefundResponse"),
                errors: [403, 404, 409, 502])],
            "/api/v1/payments": ["get": operation(
                "myTransactions", "Bookings", "Your charges and refunds, newest first, filtered; `next_cursor` reads on",
                auth: "required", parameters: transactionQueries, response: transactionPage, errors: [400])],
            "/api/v1/organizers/me/transactions": ["get": operation(
                "organizerTransactions", "Bookings", "Charges and refunds of your events, newest first, filtered; `next_cursor` reads on",
                auth: "required", parameters: transactionQueries, response: transactionPage, errors: [400, 403])],
            "/api/v1/wallet": ["get": operation("wallet", "Tickets", "Your tickets with their QR payloads", auth: "required",
                                                response: items("Ticket"))],
            "/api/v1/tickets/{id}": ["get": operation(
                "ticket", "Tickets", "A ticket (its holder, the event's organizer, admins)", auth: "required", parameters: [id],
                response: ref("Ticket"), errors: [404])],
            "/api/v1/tickets/{id}/qr.png": ["get": [
                "operationId": "ticketPNG", "tags": ["Tickets"], "summary": "The ticket's QR code as PNG",
                "parameters": [id], "security": [["bearer": []]],
                "responses": [
                    "200": ["description": "PNG image", "content": ["image/png": ["schema": ["type": "string", "contentEncoding": "binary"]]]],
                    "401": ["description": .string(HTTPStatusText.phrase(401)), "content": ["application/json": ["schema": ref("Error")]]],
                    "404": ["description": .string(HTTPStatusText.phrase(404)), "content": ["application/json": ["schema": ref("Error")]]],
                ],
            ]],
            "/api/v1/tickets/{id}/qr.svg": ["get": [
                "operationId": "ticketSVG", "tags": ["Tickets"], "summary": "The ticket's QR code as SVG",
                "parameters": [id], "security": [["bearer": []]],
                "responses": [
                    "200": ["description": "SVG image", "content": ["image/svg+xml": ["schema": string]]],
                    "401": ["description": .string(HTTPStatusText.phrase(401)), "content": ["application/json": ["schema": ref("Error")]]],
                    "404": ["description": .string(HTTPStatusText.phrase(404)), "content": ["application/json": ["schema": ref("Error")]]],
                ],
            ]],
            "/api/v1/tickets/{id}/reissue": ["post": operation(
                "reissue", "Tickets", "Issue the next version; the old QR code scans as superseded", auth: "required",
                parameters: [id], response: ref("Ticket"), errors: [404, 409])],
            "/api/v1/check-ins": ["post": operation(
                "checkIn", "Tickets", "Check a ticket in online (door staff, the organizer, admins): the offline verdict function",
                auth: "required", body: "CheckInRequest", response: ref("CheckInResponse"), errors: [403])],
            "/api/v1/organizers/{id}/trust": ["get": operation(
                "trustBundle", "Tickets", "The organizer's public key ring (hvflvspot.trust.v1) for offline verifiers",
                parameters: [id], response: ref("TrustBundle"), errors: [404])],
            "/api/v1/organizers/me/webhooks": [
                "get": operation(
                    "webhooks", "Webhooks", "Your webhook endpoints (the secret's last four characters only)", auth: "required",
                    response: items("WebhookEndpoint"), errors: [403]),
                "post": operation(
                    "createWebhook", "Webhooks",
                    "Register an endpoint (https:// to a public address); the answer holds its signing secret, shown this once",
                    auth: "required", body: "WebhookRequest", status: 201, response: ref("CreatedWebhookEndpoint"), errors: [403, 409]),
            ],
            "/api/v1/organizers/me/webhooks/{id}": ["delete": operation(
                "deleteWebhook", "Webhooks", "Delete an endpoint and its delivery log", auth: "required", parameters: [id],
                status: 204, errors: [403, 404])],
            "/api/v1/organizers/me/webhooks/{id}/test": ["post": operation(
                "testWebhook", "Webhooks", "Queue a signed `webhook.test` delivery to the endpoint", auth: "required",
                parameters: [id], status: 202, response: ref("WebhookDelivery"), errors: [403, 404])],
            "/api/v1/organizers/me/webhooks/{id}/deliveries": ["get": operation(
                "webhookDeliveries", "Webhooks", "The endpoint's latest 50 deliveries, newest first", auth: "required",
                parameters: [id], response: items("WebhookDelivery"), errors: [403, 404])],
            "/api/v1/organizers/me/staff": [
                "get": operation("staff", "Organizers", "Your door staff", auth: "required", response: items("StaffMember"), errors: [403]),
                "post": operation("createStaff", "Organizers", "Create a door-staff account for your events", auth: "required",
                                  body: "StaffRequest", status: 201, response: ref("StaffMember"), errors: [403, 409]),
            ],
            "/api/v1/venues/{id}/enrollment-codes": ["post": operation(
                "createEnrollmentCode", "Venue nodes", "A one-time code that enrolls a node for this venue (spot node enroll)",
                auth: "required", parameters: [id], body: "EnrollmentCodeRequest", bodyRequired: false, status: 201,
                response: ref("EnrollmentCode"), errors: [403, 404])],
            "/api/v1/venues/{id}/nodes": ["get": operation(
                "venueNodes", "Venue nodes", "The venue's nodes with their sync health and allotments", auth: "required",
                parameters: [id], response: items("VenueNode"), errors: [403, 404])],
            "/api/v1/nodes/{id}/revoke": ["post": operation(
                "revokeNode", "Venue nodes", "Revoke a node: its credential and device certificate stop working at once",
                auth: "required", parameters: [id], status: 204, errors: [403, 404])],
            "/api/v1/nodes/{id}/allotments/{ticketType}": ["put": operation(
                "setAllotment", "Venue nodes",
                "Grant a node seats of a ticket type for door sales (they leave the online pool at once)",
                auth: "required", parameters: [id, pathParameter("ticketType")], body: "AllotmentRequest",
                response: ref("Allotment"), errors: [403, 404, 409])],
            "/api/v1/events/{id}/conflicts": ["get": operation(
                "eventConflicts", "Venue nodes",
                "Conflicts the venue nodes' offline facts raised (SyncProtocol/README.md §7), newest first, filtered; `next_cursor` reads on",
                auth: "required",
                parameters: [id, query("kind", vocabulary(ConflictKind.self), "Only this kind"), uuidQuery("node", "Only this node's"),
                             query("resolved", ["type": "string", "enum": ["true", "false"]], "Only resolved, or only open, ones"),
                             query("from", dateTime, "Raised at or after"), query("until", dateTime, "Raised before"),
                             uuidQuery("ticket", "Only about this ticket"), limitQuery, cursorQuery],
                response: object(["items": list(ref("Conflict")), "next_cursor": nullable("string")]), errors: [400, 403, 404])],
            "/api/v1/conflicts/{id}/resolve": ["post": operation(
                "resolveConflict", "Venue nodes", "Mark a conflict resolved, with an optional note (the first resolution stays)",
                auth: "required", parameters: [id], body: "ResolveRequest", status: 204, errors: [403, 404, 422])],
            "/api/v1/sync/enroll": ["post": syncOperation("syncEnroll", "Enroll a node with a one-time code", status: 201)],
            "/api/v1/sync/snapshot": ["post": syncOperation("syncSnapshot", "The node's venue at one instant, to bootstrap from")],
            "/api/v1/sync/pull": ["post": syncOperation("syncPull", "The next page of the venue's commit-ordered change feed")],
            "/api/v1/sync/push": ["post": syncOperation("syncPush", "A batch of the node's outbox, applied exactly once")],
            "/api/v1/sync/allotments": ["post": syncOperation("syncTopUp", "More seats for the node's allotment, if the pool has them")],
            "/api/v1/sync/relay": ["post": syncOperation("syncRelay", "Facts of the venue's other nodes, each signed by its origin, applied once as the origin's (v2)")],
            "/api/v1/sync/peers": ["post": syncOperation("syncPeers", "Where this node is reached on the LAN; the venue's other nodes and theirs (v2)")],
            "/api/v1/organizers/me/statistics": ["get": operation(
                "statistics", "Statistics", "Sales, revenue, refunds by ticket type and day; check-ins by gate and hour",
                auth: "required",
                parameters: [query("event_id", uuid, "Only this event."), query("time_zone", timeZoneField, "IANA zone for days and hours.")],
                response: ref("Statistics"), errors: [403, 404, 422])],
            "/api/v1/me": ["patch": operation(
                "updateMe", "Notifications", "Your display name and phone number (for SMS; \"\" removes it)", auth: "required",
                body: "MeRequest", response: ref("Profile"))],
            "/api/v1/me/notifications": ["get": operation(
                "myNotifications", "Notifications", "Your notifications and their delivery state", auth: "required",
                response: items("Notification"))],
            "/api/v1/me/notification-preferences": [
                "get": operation("preferences", "Notifications", "Every channel and kind, on or off", auth: "required",
                                 response: ref("Preferences")),
                "put": operation("setPreferences", "Notifications", "Turn channels and kinds on or off", auth: "required",
                                 body: "PreferencesRequest", response: ref("Preferences")),
            ],
            "/api/v1/ticket-types/{id}": [
                "patch": operation("updateTicketType", "Ticket types", "Update a ticket type of your event",
                                   auth: "required", parameters: [id], body: "TicketTypeRequest",
                                   response: ref("TicketType"), errors: [403, 404]),
                "delete": operation("deleteTicketType", "Ticket types", "Delete a ticket type of your draft",
                                    auth: "required", parameters: [id], status: 204, errors: [403, 404, 409]),
            ],
        ]
    }

    // MARK: Schemas

    static var schemas: [String: JSONValue] {
        let role: JSONValue = ["type": "string", "enum": ["attendee", "organizer", "admin", "staff"]]
        let user = object(["id": uuid, "email": string, "display_name": string, "role": role, "created_at": dateTime])
        let organizer = object([
            "id": uuid, "user_id": uuid, "name": string, "description": string, "contact_email": nullable("string"),
            "website": nullable("string"), "verified": boolean, "verified_at": nullable("string", format: "date-time"),
            "created_at": dateTime, "updated_at": dateTime,
        ])
        let kioskFailover: JSONValue = [
            "type": "string", "enum": .array(KioskFailover.wireValues.map { .string($0) }),
            "description": "What a door kiosk does when its node stops answering: offer the switch to a peer door, or make it.",
        ]
        let venueFields: [String: JSONValue] = [
            "name": string, "city": string, "address": string,
            "time_zone": ["type": "string", "description": "IANA time zone, e.g. Europe/Berlin"],
            "kiosk_failover": kioskFailover,
        ]
        let venue = object(venueFields.merging([
            "id": uuid, "organizer_id": uuid, "created_at": dateTime, "updated_at": dateTime,
        ]) { $1 })
        let reentry: JSONValue = ["type": "string", "enum": .array(ReentryPolicy.known.map { .string($0.rawValue) })]
        let event = object([
            "id": uuid, "organizer_id": uuid, "venue_id": uuid, "category": string, "title": string,
            "description": string, "starts_at": dateTime, "ends_at": dateTime, "reentry_policy": reentry,
            "status": ["type": "string", "enum": ["draft", "published", "cancelled"]],
            "published_at": nullable("string", format: "date-time"), "cancelled_at": nullable("string", format: "date-time"),
            "created_at": dateTime, "updated_at": dateTime,
            "venue": object(["name": string, "city": string, "time_zone": string]),
            "price_range": object(["min_minor": integer, "max_minor": integer, "currency": string]),
        ], required: [
            "id", "organizer_id", "venue_id", "category", "title", "description", "starts_at", "ends_at",
            "reentry_policy", "status", "created_at", "updated_at", "venue",
        ])
        let organizerRequestFields: [String: JSONValue] = [
            "name": text(200), "description": optionalText(5000),
            "contact_email": [
                "type": "string", "maxLength": 254, "pattern": "^([^@\\s\\u0085]+@[^@\\s\\u0085]*\\.[^@\\s\\u0085]*)?$",
            ],
            "website": ["type": "string", "maxLength": 500, "pattern": "^(https?://[A-Za-z0-9.-]+(/[A-Za-z0-9._~/-]*)?)?$"],
        ]
        let venueRequestFields: [String: JSONValue] = [
            "name": text(200), "city": text(100), "address": text(500), "time_zone": timeZoneField,
            "kiosk_failover": kioskFailover,
        ]
        let eventRequestFields: [String: JSONValue] = [
            "venue_id": uuid, "category": string, "title": text(200), "description": optionalText(10_000),
            "starts_at": dateTime, "ends_at": dateTime, "reentry_policy": reentry,
        ]
        let preference: [String: JSONValue] = [
            "channel": ["type": "string", "enum": ["email", "sms", "push"]],
            "kind": ["type": "string", "enum": ["booking_confirmed", "refund", "event_changed", "event_cancelled"]],
            "enabled": boolean,
        ]
        let ticketTypeRequestFields: [String: JSONValue] = [
            "name": text(100), "price_minor": integer(FieldLimits.priceMinor), "currency": ["type": "string", "pattern": "^[A-Za-z]{3}$"],
            "capacity": integer(FieldLimits.capacity),
            "sales_start": nullable("string", format: "date-time"), "sales_end": nullable("string", format: "date-time"),
        ]
        let ticketTypeFields: [String: JSONValue] = [
            "name": string,
            "price_minor": integer(FieldLimits.priceMinor).merging(["description": "Price in minor units (cents)"]),
            "currency": ["type": "string", "pattern": "^[A-Z]{3}$"], "capacity": integer(FieldLimits.capacity),
            "sales_start": nullable("string", format: "date-time"), "sales_end": nullable("string", format: "date-time"),
        ]
        let change = object(["from": nullable("string"), "to": nullable("string")])
        let optional = { (properties: [String: JSONValue]) in request(properties) }
        return [
            "Error": object([
                "error": object([
                    "code": string, "message": string,
                    "fields": ["type": "object", "additionalProperties": string,
                               "description": "Field name → what is wrong with it"],
                ], required: ["code", "message"]),
            ]),
            "Health": object([
                "status": ["type": "string", "enum": ["ok", "migrating", "unavailable"]], "version": string,
                "database": object([
                    "reachable": boolean, "server_version": nullable("string"), "migration": nullable("integer"),
                    "latest_migration": integer,
                ], required: ["reachable", "latest_migration"]),
            ]),
            "User": user,
            "RegisterRequest": request([
                "email": emailField, "password": passwordField, "display_name": text(100),
                "role": ["type": "string", "enum": ["attendee", "organizer"]], "organizer_name": text(200),
            ], required: ["email", "password", "display_name"]),
            "LoginRequest": request(["email": string, "password": string], required: ["email", "password"]),
            "RefreshRequest": request(["refresh_token": string], required: ["refresh_token"]),
            "SessionTokens": object([
                "user": ref("User"), "access_token": string, "refresh_token": string, "token_type": string,
                "expires_in": integer, "session_id": uuid,
            ]),
            "SystemTokenRequest": request(["name": text(100)], required: ["name"]),
            "SystemToken": object([
                "id": uuid, "name": string, "created_at": dateTime, "expires_at": dateTime,
                "revoked_at": nullable("string", format: "date-time"), "last_used_at": nullable("string", format: "date-time"),
            ], required: ["id", "name", "created_at", "expires_at"]),
            "CreatedSystemToken": object(["token": string, "system_token": ref("SystemToken")]),
            "Organizer": organizer,
            "OrganizerRequest": optional(organizerRequestFields),
            "OrganizerCreateRequest": request(organizerRequestFields, required: ["name"]),
            "RoleRequest": request(["role": ["type": "string", "enum": ["attendee", "staff", "admin"]]], required: ["role"]),
            "AuditEntry": object([
                "id": integer, "at": dateTime, "actor_user_id": nullable("string", format: "uuid"),
                "organizer_id": nullable("string", format: "uuid"), "action": string, "entity_type": string,
                "entity_id": uuid, "changes": ["type": "object", "additionalProperties": change],
            ], required: ["id", "at", "action", "entity_type", "entity_id", "changes"]),
            "AuditPage": object(["items": list(ref("AuditEntry")), "next_before": integer], required: ["items"]),
            "Venue": venue,
            "VenueRequest": optional(venueRequestFields),
            "VenueCreateRequest": request(venueRequestFields, required: ["name", "city", "address", "time_zone"]),
            "Category": object(["id": string, "name": string]),
            "Event": event,
            "EventRequest": optional(eventRequestFields),
            "EventCreateRequest": request(eventRequestFields, required: ["venue_id", "category", "title", "starts_at", "ends_at"]),
            "EventPage": object(["items": list(ref("Event")), "total": integer, "page": integer, "per_page": integer]),
            "Recommendation": object([
                "event": ref("Event"), "reason": ["type": "string", "enum": ["organizer", "category", "popular"]],
            ]),
            "TicketType": object(ticketTypeFields.merging([
                "id": uuid, "event_id": uuid, "created_at": dateTime, "updated_at": dateTime,
            ]) { $1 }, required: ["id", "event_id", "name", "price_minor", "currency", "capacity", "created_at", "updated_at"]),
            "TicketTypeRequest": optional(ticketTypeRequestFields),
            "TicketTypeCreateRequest": request(ticketTypeRequestFields, required: ["name", "price_minor", "currency", "capacity"]),
            "HoldRequest": request([
                "event_id": uuid,
                "items": list(request(["ticket_type_id": uuid, "quantity": integer(FieldLimits.ticketsPerBooking)],
                                      required: ["ticket_type_id", "quantity"]))
                    .merging(["minItems": 1, "maxItems": .int(FieldLimits.ticketsPerBooking.upperBound)]),
            ], required: ["event_id", "items"]),
            "Booking": object([
                "id": uuid, "user_id": uuid, "event_id": uuid,
                "status": ["type": "string", "enum": ["held", "paid", "cancelled", "refunded", "expired"]],
                "items": list(object(["ticket_type_id": uuid, "name": string, "quantity": integer, "unit_price_minor": integer])),
                "quantity": integer, "total_minor": integer, "refunded_minor": integer, "currency": string,
                "expires_at": nullable("string", format: "date-time"), "paid_at": nullable("string", format: "date-time"),
                "created_at": dateTime, "tickets": list(ref("Ticket")),
            ]),
            "CheckInPage": object([
                "items": list(object([
                    "id": uuid, "ticket_id": uuid, "issue_version": integer, "direction": vocabulary(ScanDirection.self),
                    "gate": string, "node_id": uuid, "node_name": nullable("string"), "online": boolean,
                    "verdict": vocabulary(VerdictCode.self), "scanned_at": dateTime,
                ])),
                "next_cursor": nullable("string"),
            ]),
            "DoorSalePage": object([
                "items": list(object([
                    "id": uuid, "node_id": uuid, "node_name": string, "ticket_type_id": uuid, "ticket_type_name": string,
                    "quantity": integer, "payment_method": vocabulary(PaymentMethod.self), "amount_minor": integer,
                    "currency": string, "within_allotment": boolean, "recorded_at": dateTime, "ticket_ids": list(uuid),
                ])),
                "next_cursor": nullable("string"),
            ]),
            "DoorDashboard": object([
                "event_id": uuid, "event_title": string, "sold": integer, "admitted": integer,
                "per_minute": list(object(["starts_at": dateTime, "admitted": integer])),
                "gates": list(object(["gate": string, "admitted": integer, "refused": integer])),
                "doors": list(object([
                    "node_id": uuid, "name": string, "online": boolean, "admitted": integer, "refused": integer,
                    "door_sales": integer,
                    "sync": [
                        "oneOf": [
                            ["type": "null"],
                            object([
                                "health": ["type": "string", "enum": ["in_touch", "silent", "never"]],
                                "last_seen_at": nullable("string", format: "date-time"),
                                "last_push_at": nullable("string", format: "date-time"),
                                "outbox_depth": nullable("integer"), "protocol_version": nullable("integer"),
                                "clock_skewed": boolean,
                            ]),
                        ],
                    ],
                ], required: ["node_id", "name", "online", "admitted", "refused", "door_sales"])),
                "door_sales": object([
                    "sales": integer, "tickets": integer,
                    "amounts": list(object(["currency": string, "amount_minor": integer])),
                ]),
                "open_conflicts": integer,
            ]),
            "WaitingRoomRequest": request([
                "opens_at": dateTime, "admit_per_minute": integer(FieldLimits.admitPerMinute),
                "pass_minutes": integer(FieldLimits.passMinutes),
            ], required: ["opens_at", "admit_per_minute", "pass_minutes"]),
            "WaitingRoom": object([
                "event_id": uuid, "opens_at": dateTime, "admit_per_minute": integer, "pass_minutes": integer,
                "waiting": integer, "admitted": integer,
            ]),
            "WaitingRoomJoinRequest": request([
                "device_id": ["type": "string", "minLength": .int(FieldLimits.deviceID.lowerBound),
                              "maxLength": .int(FieldLimits.deviceID.upperBound), "pattern": "^[^\\x00]*$"],
            ], required: ["device_id"]),
            "WaitingRoomEntry": object([
                "event_id": uuid, "status": ["type": "string", "enum": ["waiting", "admitted", "expired"]],
                "position": nullable("integer"), "estimated_wait_seconds": nullable("integer"), "joined_at": dateTime,
                "admitted_at": nullable("string", format: "date-time"), "pass": nullable("string"),
                "pass_expires_at": nullable("string", format: "date-time"),
            ]),
            "CheckoutRequest": request([
                "card": request([
                    "number": ["type": "string", "pattern": "^[0-9 -]{12,25}$", "description": "Luhn-checked"],
                    "expiry": ["type": "string", "pattern": "^(0[1-9]|1[0-2]) ?/ ?[0-9]{2}$", "description": "MM/YY, not past"],
                    "cvc": ["type": "string", "pattern": "^[0-9]{3,4}$"],
                ], required: ["number", "expiry", "cvc"])
            ], required: ["card"]),
            "RefundRequest": optional(["ticket_ids": list(uuid)]),
            "RefundResponse": object([
                "refund": object(["amount_minor": integer, "currency": string, "ticket_ids": list(uuid), "reference": string]),
                "booking": ref("Booking"),
            ]),
            "Transaction": object([
                "id": uuid, "booking_id": uuid, "event_id": uuid, "event_title": string,
                "kind": ["type": "string", "enum": ["charge", "refund"]], "amount_minor": integer, "currency": string,
                "reference": string, "created_at": dateTime,
            ]),
            "Ticket": object([
                "id": uuid, "booking_id": uuid, "event_id": uuid, "ticket_type_id": uuid, "ticket_type_name": string,
                "event_title": string, "starts_at": dateTime, "venue_name": string, "price_minor": integer, "currency": string,
                "issue_version": integer, "key_id": string,
                "payload": ["type": "string", "description": "The QR code's text (ticket format v1, Base45)"],
                "status": ["type": "string", "enum": ["valid", "revoked"]], "revoked_reason": nullable("string"),
                "issued_at": dateTime,
            ]),
            "CheckInRequest": request([
                "payload": optionalText(4096), "gate": text(FieldLimits.gateName.upperBound),
                "direction": vocabulary(ScanDirection.self),
            ], required: ["payload", "gate"]),
            "CheckInResponse": object([
                "verdict": vocabulary(VerdictCode.self), "admitted": boolean,
                "signal": ["type": "string", "enum": ["green", "amber", "red"]], "message": string,
                "direction": vocabulary(ScanDirection.self),
                "ticket": object(["ticket_id": uuid, "event_id": uuid, "ticket_type_id": uuid, "issue_version": integer]),
                "scan_id": nullable("string", format: "uuid"),
            ], required: ["verdict", "admitted", "signal", "message", "direction", "scan_id"]),
            "TrustBundle": object([
                "format": ["type": "string", "const": "hvflvspot.trust.v1"],
                "issuer_keys": list(object([
                    "key_id": string, "public_key": string, "status": ["type": "string", "enum": ["active", "retired"]],
                    "verifies_until": nullable("string", format: "date-time"),
                ])),
                "device_certificates": list(string),
            ]),
            "EnrollmentCodeRequest": optional(["name": text(100), "expires_in_hours": integer(1...720)]),
            "EnrollmentCode": object(["code": string, "venue_id": uuid, "name": string, "expires_at": dateTime]),
            "Allotment": object(["ticket_type_id": uuid, "event_id": uuid, "granted": integer, "sold": integer]),
            "AllotmentRequest": request(["granted": integer(FieldLimits.allotmentSeats)], required: ["granted"]),
            "ResolveRequest": request(["note": optionalText(1000)]),
            "VenueNode": object([
                "id": uuid, "venue_id": uuid, "name": string, "status": ["type": "string", "enum": ["active", "revoked"]],
                "enrolled_at": dateTime, "revoked_at": nullable("string", format: "date-time"),
                "last_seen_at": nullable("string", format: "date-time"), "last_pull_at": nullable("string", format: "date-time"),
                "last_push_at": nullable("string", format: "date-time"), "protocol_version": nullable("integer"),
                "clock_offset_ms": nullable("integer"), "clock_skewed": boolean, "outbox_depth": nullable("integer"),
                "last_mutation_id": integer, "allotments": list(ref("Allotment")),
            ]),
            "Conflict": object([
                "kind": vocabulary(ConflictKind.self),
                "id": uuid, "event_id": uuid, "node_id": uuid, "ticket_id": nullable("string", format: "uuid"),
                "scan_id": nullable("string", format: "uuid"), "sale_id": nullable("string", format: "uuid"),
                "admitted_scan_id": nullable("string", format: "uuid"), "admitted_gate": nullable("string"),
                "admitted_node_id": nullable("string", format: "uuid"), "admitted_hlc": nullable("string"),
                "message": string, "created_at": dateTime,
            ]),
            "SyncMessage": [
                "type": "object",
                "description": "A sync protocol v1 message: its fields, versions and errors are specified in SyncProtocol/README.md.",
                "required": ["protocol_version"],
            ],
            "StaffMember": object(["id": uuid, "email": string, "display_name": string, "created_at": dateTime]),
            "WebhookRequest": request([
                "url": ["type": "string", "minLength": 1, "maxLength": .int(WebhookTarget.maximumURLLength), "pattern": "^[^\\x00]*$"],
                "event_types": ["type": "array", "minItems": 1, "maxItems": 20,
                                "items": ["type": "string", "enum": .array(WebhookEventType.subscribable.map { .string($0.rawValue) })]],
            ], required: ["url", "event_types"]),
            "WebhookEndpoint": object([
                "id": uuid, "url": string,
                "event_types": list(["type": "string", "enum": .array(WebhookEventType.subscribable.map { .string($0.rawValue) })]),
                "secret_hint": string, "created_at": dateTime,
            ]),
            "CreatedWebhookEndpoint": object(["endpoint": ref("WebhookEndpoint"), "secret": string]),
            "WebhookDelivery": object([
                "id": uuid, "event_id": uuid,
                "type": ["type": "string", "enum": .array(WebhookEventType.allCases.map { .string($0.rawValue) })],
                "status": ["type": "string", "enum": ["queued", "sending", "failed", "sent", "dead"]], "attempts": integer,
                "response_status": nullable("integer"), "last_error": nullable("string"), "created_at": dateTime,
                "delivered_at": nullable("string", format: "date-time"),
            ]),
            "StaffRequest": request(
                ["email": emailField, "display_name": text(100), "password": passwordField], required: ["email", "display_name", "password"]),
            "MeRequest": optional(["display_name": text(100), "phone": ["type": "string", "pattern": "^(\\+[0-9]{7,15})?$"]]),
            "Profile": object(["user": ref("User"), "phone": nullable("string")]),
            "Notification": object([
                "id": uuid, "channel": ["type": "string", "enum": ["email", "sms", "push"]], "kind": string, "recipient": string,
                "subject": string, "status": ["type": "string", "enum": ["queued", "sending", "sent", "failed", "dead"]],
                "attempts": integer, "last_error": nullable("string"), "created_at": dateTime,
                "sent_at": nullable("string", format: "date-time"),
            ]),
            "Preferences": object(["preferences": list(object(preference))]),
            "PreferencesRequest": request(["preferences": list(request(preference, required: ["channel", "kind", "enabled"]))],
                                          required: ["preferences"]),
            "Statistics": object([
                "time_zone": string,
                "by_ticket_type": list(object([
                    "ticket_type_id": uuid, "event_id": uuid, "name": string, "capacity": integer, "sold": integer,
                    "refunded": integer, "revenue_minor": integer, "refunded_minor": integer,
                ])),
                "by_day": list(object(["day": string, "sold": integer, "revenue_minor": integer, "refunded_minor": integer])),
                "check_ins": object([
                    "by_gate": list(object(["gate": string, "admitted": integer, "refused": integer])),
                    "by_hour": list(object(["hour": string, "admitted": integer])),
                ]),
                "door_sales": object(["sales": integer, "tickets": integer, "amount_minor": integer]),
                "conflicts": list(object(["kind": string, "count": integer])),
            ]),
        ]
    }
}

/// Reason phrases for the error statuses the document lists.
enum HTTPStatusText {
    static func phrase(_ code: Int) -> String {
        switch code {
        case 400: "Bad request (malformed JSON)"
        case 401: "Not signed in, or the token is invalid, expired or revoked"
        case 403: "Not allowed for this caller"
        case 404: "Not found"
        case 409: "Conflicts with the current state"
        case 413: "Body too large"
        case 422: "Invalid fields"
        case 402: "Payment declined"
        case 429: "Too many attempts (see Retry-After)"
        case 502: "The payment processor failed; nothing was charged"
        case 504: "The payment processor did not answer; retry with the same Idempotency-Key"
        case 503: "Database unreachable"
        default: "Error"
        }
    }
}
