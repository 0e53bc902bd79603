import Foundation
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

@testable import SpotServer

@Suite("Webhooks")
struct WebhookTests {
    @Test("Registration: HTTPS to public addresses only in production, known event types, the secret shown once, only the owner's")
    func registration() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let other = try await server.onSale(organizer: "other@example.com", admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            func register(_ url: String, _ types: [String] = ["booking.paid"], token: String? = nil) async throws -> APIResponse {
                try await server.api.post("/api/v1/organizers/me/webhooks", ["url": url, "event_types": types], token: token ?? sale.token)
            }
            for url in [
                "http://hooks.example.com/in", "https://127.0.0.1/in", "https://10.1.2.3/in", "https://169.254.169.254/latest",
                "https://[::1]/in", "https://[fe80::1]/in", "https://[::ffff:192.168.1.1]/in", "https://localhost/in",
                "https://printer.local/in", "https://db.internal/in", "https://user:pw@hooks.example.com/in", "not a url",
                "https://100.64.0.1/in", "https://0.0.0.0/in",
            ] {
                let refused = try await register(url)
                #expect(refused.status == 422 && refused.json["error"]["fields"]["url"].string != nil, "\(url): \(refused.text)")
            }
            for types in [[], ["webhook.test"], ["booking.paid", "booking.exploded"]] {
                let refused = try await register("https://hooks.example.com/in", types)
                #expect(refused.status == 422 && refused.json["error"]["fields"]["event_types"].string != nil, "\(types)")
            }
            #expect(try await register("https://hooks.example.com/in", token: buyer).status == 403)

            let created = try await register("https://hooks.example.com/in", ["checkin.created", "booking.paid"])
            #expect(created.status == 201, "\(created.text)")
            let secret = try #require(created.json["secret"].string)
            #expect(secret.hasPrefix("whsec_") && secret.count >= 40)
            let id = try #require(created.json["endpoint"]["id"].string)
            #expect(created.json["endpoint"]["event_types"].array.compactMap(\.string) == ["booking.paid", "checkin.created"])
            let listed = try await server.api.get("/api/v1/organizers/me/webhooks", token: sale.token)
            #expect(listed.json["items"].array.count == 1)
            #expect(listed.json["items"][0]["secret_hint"].string == "…" + secret.suffix(4))
            #expect(!listed.text.contains(secret), "the secret is shown once")

            // Another organizer's endpoint is not found, whatever they try.
            #expect(try await server.api.delete("/api/v1/organizers/me/webhooks/\(id)", token: other.token).status == 404)
            #expect(try await server.api.post("/api/v1/organizers/me/webhooks/\(id)/test", token: other.token).status == 404)
            #expect(try await server.api.get("/api/v1/organizers/me/webhooks/\(id)/deliveries", token: other.token).status == 404)
            #expect(try await server.api.get("/api/v1/organizers/me/webhooks", token: other.token).json["items"].array.isEmpty)

            for index in 2...WebhookRepository.maximumEndpoints {
                #expect(try await register("https://hooks.example.com/\(index)").status == 201)
            }
            let limited = try await register("https://hooks.example.com/one-too-many")
            #expect(limited.status == 409 && limited.errorCode == "webhook_limit_reached")
            #expect(try await server.api.delete("/api/v1/organizers/me/webhooks/\(id)", token: sale.token).status == 204)
            #expect(try await server.api.get("/api/v1/organizers/me/webhooks/\(id)/deliveries", token: sale.token).status == 404)
        }
    }

    @Test("Every change is announced in its own transaction, signed: a receiver verifies each signature; the log shows each delivery")
    func deliveries() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await TestServer.run(configure: {
            $0.webhooksAllowPrivateTargets = true
            $0.webhookPolicy = WorkerPolicy(baseDelay: 0.2, idleInterval: .milliseconds(100))
            $0.notificationPolicy = WorkerPolicy(baseDelay: 0.2, idleInterval: .milliseconds(100))
            $0.jobPolicy = WorkerPolicy(baseDelay: 0.2, idleInterval: .milliseconds(100))
        }) { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 20)
            let created = try await server.api.post(
                "/api/v1/organizers/me/webhooks",
                ["url": receiver.url + "/hooks", "event_types": WebhookEventType.subscribable.map(\.rawValue)], token: sale.token)
            #expect(created.status == 201, "\(created.text)")
            try receiver.trust([try #require(created.json["secret"].string)])
            let endpoint = try #require(created.json["endpoint"]["id"].string)

            let (buyer, _, _) = try await server.register("buyer@example.com")
            let booking = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 3)
            let bookingID = try #require(booking["id"].string)
            let tickets = booking["tickets"].array
            let checkIn = try await server.api.post(
                "/api/v1/check-ins", ["payload": try #require(tickets[0]["payload"].string), "gate": "North"], token: sale.token)
            #expect(checkIn.status == 200)
            let refunded = try #require(tickets[1]["id"].string)
            #expect(try await server.api.post(
                "/api/v1/bookings/\(bookingID)/refunds", ["ticket_ids": [refunded]], token: sale.token,
                headers: [("Idempotency-Key", "webhook-refund")]).status == 200)
            let reissued = try #require(tickets[2]["id"].string)
            #expect(try await server.api.post("/api/v1/tickets/\(reissued)/reissue", token: buyer).status == 200)
            // A node's door sale with no allotment: a sale and a conflict.
            let venue = try await server.venue(ofEvent: sale.event, token: sale.token)
            let node = try await TestNode.enroll(server, organizerToken: sale.token, venue: venue)
            let event = try #require(UUID(uuidString: sale.event)), type = try #require(UUID(uuidString: sale.ticketType))
            let door = TicketClaims(ticketID: UUID(), eventID: event, ticketTypeID: type)
            let saleID = UUID()
            _ = try await node.push([SyncMutation(mutationID: 1, body: .sale(SyncSale(
                id: saleID, nodeID: node.info.id, eventID: event, ticketTypeID: type, quantity: 1, paymentMethod: .cash,
                amountMinor: 2500, currency: "EUR", hlc: HLCTimestamp(wallMilliseconds: 1_000),
                tickets: [SyncSoldTicket(id: door.ticketID, payload: try SignedTicket.sign(door, with: node.deviceKey).text)])))])
            #expect(try await server.api.post("/api/v1/events/\(sale.event)/cancel", token: sale.token).status == 200)

            let expected: [WebhookEventType: String] = [
                .bookingPaid: bookingID, .checkinCreated: try await server.text("SELECT id::text FROM scans WHERE gate = 'North'"),
                .ticketRefunded: refunded, .doorSaleCreated: saleID.lowercasedText, .eventCancelled: sale.event,
            ]
            try await eventually("every kind of change to be announced") {
                Set(try receiver.requests().compactMap { $0["body"]["type"].string })
                    .isSuperset(of: WebhookEventType.subscribable.map(\.rawValue))
            }
            let requests = try receiver.requests()
            #expect(requests.allSatisfy { $0["verified"].bool == true }, "every signature verifies")
            #expect(requests.allSatisfy { $0["path"].string == "/hooks" && $0["headers"]["content-type"].string == "application/json" })
            for request in requests {
                #expect(request["headers"]["hvflvspot-event-type"].string == request["body"]["type"].string)
                #expect(request["headers"]["user-agent"].string == WebhookSender.userAgent)
            }
            func first(_ type: WebhookEventType) -> JSON? { requests.first { $0["body"]["type"].string == type.rawValue }?["body"] }
            for (type, id) in expected {
                #expect(first(type)?["id"].string == id, "\(type.rawValue)'s event id is the changed row's")
            }
            #expect(first(.bookingPaid)?["data"]["buyer_email"].string == "buyer@example.com")
            #expect(first(.bookingPaid)?["data"]["total_minor"].int == 7500)
            #expect(first(.checkinCreated)?["data"]["gate"].string == "North" && first(.checkinCreated)?["data"]["online"].bool == true)
            #expect(first(.ticketReissued)?["data"]["ticket_id"].string == reissued)
            #expect(first(.ticketReissued)?["data"]["issue_version"].int == 2)
            #expect(first(.conflictCreated)?["data"]["kind"].string == "sale_beyond_allotment")
            #expect(first(.conflictCreated)?["data"]["sale_id"].string == saleID.lowercasedText)
            #expect(first(.doorSaleCreated)?["data"]["within_allotment"].bool == false)
            #expect(first(.eventCancelled)?["data"]["title"].string == "Summer Jazz Festival")

            // "Send test", then the delivery log.
            let test = try await server.api.post("/api/v1/organizers/me/webhooks/\(endpoint)/test", token: sale.token)
            #expect(test.status == 202 && test.json["type"].string == "webhook.test")
            try await eventually("the test delivery") {
                try receiver.requests().contains { $0["body"]["type"].string == "webhook.test" && $0["verified"].bool == true }
            }
            try await eventually("the log to show every delivery sent") {
                let log = try await server.api.get("/api/v1/organizers/me/webhooks/\(endpoint)/deliveries", token: sale.token)
                return log.json["items"].array.allSatisfy { $0["status"].string == "sent" && $0["response_status"].int == 200 }
                    && log.json["items"].array.first?["type"].string == "webhook.test"
            }
            // Nothing is announced for another organizer's changes, nor twice.
            #expect(Set(requests.compactMap { $0["body"]["id"].string }).count
                == requests.filter { $0["body"]["type"].string != "webhook.test" }.count)
        }
    }

    @Test("An endpoint that fails is retried with backoff; 410 Gone and a host resolving to a private address are given up at once")
    func failures() async throws {
        let flaky = try await WebhookReceiver.start(fail: 2)
        let gone = try await WebhookReceiver.start(gone: true)
        defer {
            flaky.stop()
            gone.stop()
        }
        try await TestServer.run(configure: {
            $0.webhooksAllowPrivateTargets = true
            $0.webhookPolicy = WorkerPolicy(maximumAttempts: 5, baseDelay: 0.2, idleInterval: .milliseconds(100))
        }) { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            var endpoints: [String] = []
            for receiver in [flaky, gone] {
                let created = try await server.api.post(
                    "/api/v1/organizers/me/webhooks", ["url": receiver.url, "event_types": ["booking.paid"]], token: sale.token)
                try receiver.trust([try #require(created.json["secret"].string)])
                endpoints.append(try #require(created.json["endpoint"]["id"].string))
            }
            let (buyer, _, _) = try await server.register("buyer@example.com")
            _ = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType)
            func log(_ endpoint: String) async throws -> JSON {
                try await server.api.get("/api/v1/organizers/me/webhooks/\(endpoint)/deliveries", token: sale.token).json["items"][0]
            }
            try await eventually("the flaky endpoint to accept") { try await log(endpoints[0])["status"].string == "sent" }
            #expect(try await log(endpoints[0])["attempts"].int == 3)
            #expect(try flaky.requests().map { $0["status"].int } == [500, 500, 200])
            try await eventually("the gone endpoint to be given up") { try await log(endpoints[1])["status"].string == "dead" }
            let given = try await log(endpoints[1])
            #expect(given["attempts"].int == 1 && given["response_status"].int == 410)
        }

        // Production: a host name that resolves to a private address is refused when the delivery
        // connects (the name passed registration; its address is checked at each delivery).
        try await TestServer.run(configure: {
            $0.webhookPolicy = WorkerPolicy(maximumAttempts: 5, baseDelay: 0.2, idleInterval: .milliseconds(100))
        }) { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let host = ProcessInfo.processInfo.hostName
            let created = try await server.api.post(
                "/api/v1/organizers/me/webhooks", ["url": "https://\(host)/hook", "event_types": ["booking.paid"]], token: sale.token)
            #expect(created.status == 201, "\(created.text)")
            let endpoint = try #require(created.json["endpoint"]["id"].string)
            #expect(try await server.api.post("/api/v1/organizers/me/webhooks/\(endpoint)/test", token: sale.token).status == 202)
            try await eventually("the delivery to a private address to be given up") {
                try await server.api.get("/api/v1/organizers/me/webhooks/\(endpoint)/deliveries", token: sale.token)
                    .json["items"][0]["status"].string == "dead"
            }
            let entry = try await server.api.get("/api/v1/organizers/me/webhooks/\(endpoint)/deliveries", token: sale.token)
                .json["items"][0]
            #expect(entry["attempts"].int == 1)
            #expect(entry["last_error"].string?.contains("not a public address") == true, "\(entry)")
        }
    }

    @Test("The organizer's webhook page: add (secret shown once), refuse a bad URL, send a test into the log, delete")
    func page() async throws {
        try await TestServer.run(configure: { $0.runsBackgroundServices = false }) { server in
            let admin = try await server.admin()
            _ = try await server.onSale(admin: admin)
            _ = try await server.onSale(organizer: "other@example.com", admin: admin)
            let web = try await server.signedInBrowser(email: "org@example.com", password: "correct horse battery")
            let empty = try await web.get("/organizer/webhooks")
            #expect(empty.status == 200 && empty.html.contains("No webhook endpoints yet"))
            #expect(try await web.get("/organizer").html.contains(#"href="/organizer/webhooks""#))

            let refused = try await web.post(
                "/organizer/webhooks", [("url", "http://10.0.0.1/in"), ("event_types", "booking.paid")])
            #expect(refused.status == 422 && refused.html.contains("webhook-problem") && refused.html.contains("http://10.0.0.1/in"))
            let created = try await web.post(
                "/organizer/webhooks",
                [("url", "https://hooks.example.com/in"), ("event_types", "booking.paid"), ("event_types", "door_sale.created")])
            #expect(created.status == 200)
            let secret = try #require(created.html.firstMatch(of: /whsec_[A-Za-z0-9_-]+/).map { String($0.output) })
            #expect(created.html.contains("booking.paid, door_sale.created"))
            let again = try await web.get("/organizer/webhooks")
            #expect(!again.html.contains(secret) && again.html.contains("…" + secret.suffix(4)), "the secret is shown once")
            let id = try #require(again.html.firstMatch(of: /data-webhook="([0-9a-f-]{36})"/).map { String($0.output.1) })

            let tested = try await web.post("/organizer/webhooks/\(id)/test")
            #expect(tested.status == 303 && tested.location == "/organizer/webhooks?notice=webhook_test_queued")
            let log = try await web.get("/organizer/webhooks?notice=webhook_test_queued")
            #expect(log.html.contains("A test delivery is on its way") && log.html.contains("<td>webhook.test</td><td>queued</td>"))

            let otherWeb = try await server.signedInBrowser(email: "other@example.com", password: "correct horse battery")
            #expect(try await otherWeb.post("/organizer/webhooks/\(id)/delete").status == 404)
            #expect(!(try await otherWeb.get("/organizer/webhooks").html.contains("hooks.example.com")))
            let deleted = try await web.post("/organizer/webhooks/\(id)/delete")
            #expect(deleted.status == 303)
            #expect(try await web.get("/organizer/webhooks").html.contains("No webhook endpoints yet"))
        }
    }

    @Test("Addresses: private, loopback, link-local and reserved ranges are not public; ordinary ones are")
    func addresses() {
        for text in ["127.0.0.1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1",
                     "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "::", "::1", "fe80::1", "fd00::1",
                     "ff02::1", "::ffff:10.0.0.1", "2001:db8::1", "64:ff9b::a00:1"] {
            #expect(IPAddress(text)?.isPublic == false, "\(text)")
        }
        for text in ["1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:1.1.1.1"] {
            #expect(IPAddress(text)?.isPublic == true, "\(text)")
        }
        #expect(IPAddress("hooks.example.com") == nil)
        #expect(IPAddress("::1")?.text == "::1" && IPAddress("10.0.0.1")?.text == "10.0.0.1")
    }
}
