import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SpotCore
import SpotNode
import SpotServer
import SpotSync

/// The demo's venue: a door-demo event with sold tickets, and one enrolled venue node with an
/// allotment. Built once through the running server's public API, as an organizer and a buyer
/// would; a second run finds the node already enrolled and reuses everything.
public struct DemoVenue: Sendable {
    public static let staffPIN = "1234"
    public static let buyerEmail = "buyer@demo.hvflvspot.test"
    static let eventTitle = "Harbour Lights — door demo"

    let serverURL: String
    /// Where the node's database lives; the caller creates it (mode 0700: it holds the device key).
    let nodeDirectory: String
    let soldTickets: Int

    /// A ticket to try at the door: a name for its files and the QR payload.
    public struct Sample: Sendable {
        public let name: String
        public let payload: String
    }

    /// The enrolled, bootstrapped node and the sample tickets (five valid, one refunded).
    public struct Built: Sendable {
        public let node: NodeDatabase
        public let samples: [Sample]
    }

    public init(serverURL: String, nodeDirectory: String, soldTickets: Int) {
        self.serverURL = serverURL
        self.nodeDirectory = nodeDirectory
        self.soldTickets = soldTickets
    }

    public var nodeDatabasePath: String { (nodeDirectory as NSString).appendingPathComponent("node.sqlite") }

    /// Whether a previous run already built the venue (its node is enrolled).
    public func exists() throws -> Bool {
        guard FileManager.default.fileExists(atPath: nodeDatabasePath) else { return false }
        return try NodeDatabase.open(path: nodeDatabasePath).isEnrolled()
    }

    /// Seeds the venue, event and sales, enrolls and bootstraps the node, and picks sample tickets.
    public func build(progress: (String) -> Void) async throws -> Built {
        let organizer = try await login(DemoAccounts.organizerEmail)
        progress("venue, event and ticket types")
        let venue = try await call(.POST, "/api/v1/venues", [
            "name": "Harbour Hall", "city": "Hamburg", "address": "Kaiserkai 1", "time_zone": "Europe/Berlin",
        ], token: organizer).string("id")
        // Doors open in a few minutes (the kiosk admits from now) and the event runs for weeks,
        // so the demo keeps working on later runs.
        let start = Date().addingTimeInterval(300)
        let event = try await call(.POST, "/api/v1/events", [
            "venue_id": venue, "category": "music", "title": Self.eventTitle,
            "description": "Sample event of the HVFLVSPOT demo: scan its tickets and sell more at the door.",
            "starts_at": start.formatted(.iso8601), "ends_at": start.addingTimeInterval(60 * 86_400).formatted(.iso8601),
        ], token: organizer).string("id")
        var types: [String] = []
        for (name, price, capacity) in [("Standard", 2500, 600), ("Reduced", 1500, 200)] {
            types.append(try await call(.POST, "/api/v1/events/\(event)/ticket-types", [
                "name": name, "price_minor": price, "currency": "EUR", "capacity": capacity,
            ], token: organizer).string("id"))
        }
        _ = try await call(.POST, "/api/v1/events/\(event)/publish", token: organizer)

        progress("\(soldTickets) tickets sold online")
        let buyer = try await call(.POST, "/api/v1/auth/register", [
            "email": Self.buyerEmail, "password": DemoAccounts.password, "display_name": "Demo Buyer",
        ]).string("access_token")
        var bookings: [String] = []
        var left = soldTickets
        while left > 0 {
            let quantity = min(10, left)
            let booking = try await call(.POST, "/api/v1/bookings", [
                "event_id": event, "items": [["ticket_type_id": types[0], "quantity": quantity]],
            ], token: buyer).string("id")
            _ = try await call(.POST, "/api/v1/bookings/\(booking)/checkout", [
                "card": ["number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123"],
            ], token: buyer, headers: ["Idempotency-Key": "demo-\(booking)"])
            bookings.append(booking)
            left -= quantity
        }
        guard let wallet = try await call(.GET, "/api/v1/wallet", token: buyer)["items"] as? [[String: Any]], wallet.count > 5 else {
            throw ToolingError("demo setup: the buyer's wallet does not hold the tickets just bought")
        }
        let refunded = wallet[0]
        _ = try await call(.POST, "/api/v1/bookings/\(bookings[0])/refunds", ["ticket_ids": [try refunded.string("id")]],
                           token: organizer, headers: ["Idempotency-Key": "demo-refund"])

        progress("venue node enrolled, with an allotment of 50 + 20 seats")
        let code = try await call(.POST, "/api/v1/venues/\(venue)/enrollment-codes", ["name": "Main door"], token: organizer).string("code")
        let node = try NodeDatabase.open(path: nodeDatabasePath)
        chmod(nodeDatabasePath, 0o600)
        let deviceKey = SigningKey()
        let client = SyncClient(serverURL: serverURL)
        let enrolled = try await client.enroll(EnrollRequest(
            code: code, devicePublicKey: Data(deviceKey.publicKey.rawRepresentation).base64EncodedString(), name: "Main door"))
        try node.storeEnrollment(enrolled, serverURL: serverURL, deviceKey: deviceKey, now: Date())
        try node.setStaffPIN(hash: try StaffPIN.hash(Self.staffPIN), now: Date())
        for (type, seats) in zip(types, [50, 20]) {
            _ = try await call(.PUT, "/api/v1/nodes/\(enrolled.node.id.uuidString.lowercased())/allotments/\(type)", ["granted": seats],
                               token: organizer)
        }
        _ = try await SyncEngine(database: node, client: client).sync()

        let samples = try wallet.dropFirst().prefix(5).enumerated().map {
            Sample(name: "ticket-\($0.offset + 1)", payload: try $0.element.string("payload"))
        }
        return Built(node: node, samples: samples + [Sample(name: "refunded", payload: try refunded.string("payload"))])
    }

    private func login(_ email: String) async throws -> String {
        try await call(.POST, "/api/v1/auth/login", ["email": email, "password": DemoAccounts.password]).string("access_token")
    }

    /// One JSON call to the demo server; anything but 2xx stops the demo with the server's answer.
    private func call(
        _ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil, token: String? = nil, headers: [String: String] = [:]
    ) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: serverURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        guard (200..<300).contains(response.status.code) else {
            throw ToolingError("demo setup: \(method) \(path) answered \(response.status.code): \(String(buffer: bytes))")
        }
        guard bytes.readableBytes > 0 else { return [:] }
        return try JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any] ?? [:]
    }
}

extension [String: Any] {
    /// A string field of a server answer, or a clear error naming it.
    fileprivate func string(_ key: String) throws -> String {
        guard let value = self[key] as? String else { throw ToolingError("demo setup: the server's answer has no \(key)") }
        return value
    }
}
