import Foundation
import Hummingbird
import NIOCore
import SpotQR

/// HTTPS on the venue LAN (`spot node tls`). The HTTPS listener serves the kiosk and its API,
/// and says how phones reach it (`GET /api/v1/tls`, and a QR code of the trust page). The plain
/// HTTP listener serves only what a phone needs before it trusts the venue CA — the trust page
/// with the steps for Android and iOS, and the CA certificate itself — and redirects everything
/// else to HTTPS.
struct TLSController: Sendable {
    let tls: NodeTLS?
    /// The ports phones use: plain HTTP (trust page, redirects) and HTTPS.
    let httpPort: Int
    let httpsPort: Int

    struct TLSInfo: ResponseEncodable {
        let https: Bool
        let httpsPort: Int?
        let httpPort: Int?
        let fingerprintSHA256: String?
        let expiresAt: Date?
        let names: [String]
        let addresses: [String]
    }

    /// `GET /api/v1/tls` (public: the kiosk's start page shows it before anyone signs in).
    func addInfoRoutes(to api: RouterGroup<NodeRequestContext>, router: Router<NodeRequestContext>) {
        api.get("tls") { _, _ in
            TLSInfo(
                https: tls != nil, httpsPort: tls == nil ? nil : httpsPort, httpPort: tls == nil ? nil : httpPort,
                fingerprintSHA256: tls?.authorityFingerprint, expiresAt: tls?.expiresAt, names: tls?.names ?? [],
                addresses: tls?.addresses.map(\.description) ?? [])
        }
        guard tls != nil else { return }
        router.get("trust/qr.svg") { request, _ in
            let url = "http://\(Self.host(request, fallback: "localhost")):\(httpPort)/trust"
            return Response(
                status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: try QRCode(text: url).svg(moduleSize: 6))))
        }
        addCertificateRoutes(to: router)
    }

    /// The plain-HTTP listener of a node with HTTPS: the trust page, the CA, and redirects.
    func plainRouter() -> Router<NodeRequestContext> {
        let router = Router(context: NodeRequestContext.self)
        router.add(middleware: RedirectToHTTPS(httpsPort: httpsPort, kept: ["/trust", "/venue-ca.crt", "/venue-ca.pem", "/health"]))
        router.get("/health") { _, _ in "ok" }
        router.get("/trust") { request, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: trustPage(host: Self.host(request, fallback: "localhost")))))
        }
        addCertificateRoutes(to: router)
        return router
    }

    private func addCertificateRoutes(to router: Router<NodeRequestContext>) {
        guard let tls else { return }
        router.get("/venue-ca.crt") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/x-x509-ca-cert", .contentDisposition: "attachment; filename=\"venue-ca.crt\""],
                body: .init(byteBuffer: ByteBuffer(bytes: tls.authorityDER)))
        }
        router.get("/venue-ca.pem") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/x-pem-file"],
                body: .init(byteBuffer: ByteBuffer(string: (try? tls.authority.serializeAsPEM().pemString) ?? "")))
        }
    }

    /// The host a phone used to reach the node, from the request's `Host`: a DNS name or an
    /// address made of the characters those may hold, else `fallback` (the page is the phone's
    /// own, but nothing from the header reaches HTML unchecked).
    static func host(_ request: Request, fallback: String) -> String {
        guard var authority = request.head.authority, !authority.isEmpty, authority.utf8.count <= 255 else { return fallback }
        if authority.hasPrefix("[") {
            guard let end = authority.firstIndex(of: "]") else { return fallback }
            authority = String(authority[...end])
        } else if let colon = authority.lastIndex(of: ":") {
            authority = String(authority[..<colon])
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        return !authority.isEmpty && authority.allSatisfy(allowed.contains) ? authority : fallback
    }

    func trustPage(host: String) -> String {
        let kiosk = "https://\(host):\(httpsPort)/kiosk/"
        let fingerprint = tls?.authorityFingerprint ?? ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Trust this venue's kiosk</title>
            <style>body{font:18px/1.5 system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem}
            a.button{display:inline-block;padding:.7rem 1.2rem;background:#0b0b0b;color:#fff;border-radius:6px;text-decoration:none;font-weight:700}
            code{overflow-wrap:anywhere}</style></head>
            <body>
            <h1>Use this venue's kiosk on your phone</h1>
            <p>Your phone scans tickets with its camera only on a secure (HTTPS) page. The kiosk's certificate comes from
            this venue's own certificate authority: trust it once on each phone.</p>
            <p><a class="button" id="download" href="/venue-ca.crt">Download the venue certificate</a></p>
            <p>Before you trust it, check that its SHA-256 fingerprint is the one the kiosk's start page shows:<br>
            <code id="fingerprint">\(fingerprint)</code></p>
            <h2>Android</h2>
            <ol>
            <li>Tap <strong>Download the venue certificate</strong>.</li>
            <li>Open <strong>Settings › Security › More security settings › Encryption &amp; credentials › Install a
            certificate › CA certificate</strong>, tap <strong>Install anyway</strong> and pick <code>venue-ca.crt</code>.</li>
            <li>Open the kiosk: <a id="kiosk" href="\(kiosk)">\(kiosk)</a></li>
            </ol>
            <h2>iPhone and iPad</h2>
            <ol>
            <li>Open this page in <strong>Safari</strong>, tap <strong>Download the venue certificate</strong> and allow the
            download.</li>
            <li>Open <strong>Settings › General › VPN &amp; Device Management</strong>, tap the venue certificate and
            <strong>Install</strong>.</li>
            <li>Open <strong>Settings › General › About › Certificate Trust Settings</strong> and turn on full trust for the
            venue CA.</li>
            <li>Open the kiosk: <a href="\(kiosk)">\(kiosk)</a></li>
            </ol>
            <p>Remove the certificate after the event in the same settings.</p>
            </body></html>
            """
    }
}

/// Sends every request but a few kept paths to the same path on the HTTPS port (307: the
/// method and body are kept).
struct RedirectToHTTPS: RouterMiddleware {
    typealias Context = NodeRequestContext
    let httpsPort: Int
    let kept: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if kept.contains(request.uri.path) { return try await next(request, context) }
        let host = TLSController.host(request, fallback: "localhost")
        let query = request.uri.query.map { "?\($0)" } ?? ""
        return Response(
            status: .temporaryRedirect,
            headers: [.location: "https://\(host):\(httpsPort)\(request.uri.path)\(query)", .cacheControl: "no-store"])
    }
}
