import Foundation
import SpotTestSupport
import Testing

/// Browsing the server-rendered site like a browser does.
extension TestServer {
    /// A new browser: no cookies yet.
    func browser() throws -> WebClient {
        WebClient(port: try #require(Int(api.baseURL.split(separator: ":").last ?? "")))
    }

    /// A browser signed in through the sign-in form.
    func signedInBrowser(email: String, password: String) async throws -> WebClient {
        let web = try browser()
        _ = try await web.get("/signin")
        let signedIn = try await web.post("/signin", [("email", email), ("password", password)])
        #expect(signedIn.status == 303, "\(signedIn.html)")
        return web
    }
}
