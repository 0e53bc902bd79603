import ArgumentParser
import Foundation
import SpotNode

extension NodeCommand {
    struct TLS: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tls",
            abstract: "Set up HTTPS on the venue LAN: a venue certificate authority and this node's certificate.",
            discussion: """
                Phones scan with their camera only on a secure (HTTPS) page. This makes a venue CA (or uses the \
                one given, so every node of the venue shares it) and a certificate for this node's LAN names \
                and addresses, valid 397 days and renewed when the node starts within 30 days of expiry. The \
                files live in DATA/tls/ (keys mode 0600). From then on 'spot node run' serves the kiosk over \
                HTTPS on --https-port, and --port serves the page that tells phones how to trust the venue CA.

                Examples:
                  spot node tls --data /var/lib/spot-node
                  spot node tls --data /var/lib/spot-node-b --name door-b.local \\
                    --ca-certificate /var/lib/spot-node/tls/venue-ca.pem --ca-key /var/lib/spot-node/tls/venue-ca.key
                """)

        @OptionGroup var data: DataOption

        @Option(name: .customLong("name"), help: ArgumentHelp(
            "A LAN name of this node (repeatable; default: this machine's host name, HOST.local and localhost).",
            valueName: "NAME"))
        var names: [String] = []

        @Option(name: .customLong("address"), help: ArgumentHelp(
            "A LAN address of this node (repeatable; default: every address of this machine).", valueName: "IP"))
        var addresses: [String] = []

        @Option(help: ArgumentHelp("The venue CA certificate of another node of the venue (PEM; with --ca-key).", valueName: "FILE"))
        var caCertificate: String?

        @Option(help: ArgumentHelp("The venue CA's key (PEM).", valueName: "FILE"))
        var caKey: String?

        func validate() throws {
            guard (caCertificate == nil) == (caKey == nil) else {
                throw ValidationError("--ca-certificate and --ca-key go together")
            }
            for address in addresses where LANAddress(address) == nil {
                throw ValidationError("--address \(address) is not an IPv4 or IPv6 address")
            }
            for name in names where !Self.isHostName(name) {
                throw ValidationError("--name \(name) is not a host name (letters, digits, '-' and '.', up to 253 characters)")
            }
        }

        static func isHostName(_ name: String) -> Bool {
            let labels = name.split(separator: ".", omittingEmptySubsequences: false)
            return name.utf8.count <= 253 && !labels.isEmpty && labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
        }

        /// This machine's host name as a phone on the LAN might type it, and by mDNS.
        static func defaultNames() -> [String] {
            let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
            let candidates = isHostName(host) && host != "localhost" ? [host, "\(host).local", "localhost"] : ["localhost"]
            return candidates
        }

        func run() async throws {
            let identity = try data.open().identity()
            var shared: (certificatePEM: String, keyPEM: String)?
            if let caCertificate, let caKey {
                do {
                    shared = (try String(contentsOfFile: caCertificate, encoding: .utf8), try String(contentsOfFile: caKey, encoding: .utf8))
                } catch {
                    throw CLIError.usage("cannot read the venue CA: \(error.localizedDescription)")
                }
            }
            let tls: NodeTLS
            do {
                tls = try NodeTLS.setUp(
                    data: data.data, venueName: identity.venueName, nodeName: identity.name,
                    names: names.isEmpty ? Self.defaultNames() : names,
                    addresses: addresses.isEmpty ? LANAddress.ofThisMachine() : addresses.compactMap(LANAddress.init),
                    importing: shared, now: Date())
            } catch {
                throw CLIError.failure("\(error)")
            }
            let directory = (data.data as NSString).appendingPathComponent("tls")
            say("""
                HTTPS for \(identity.name) at \(identity.venueName):
                  files        \(directory)/ (venue-ca.pem, venue-ca.key, node.pem, node.key)
                  names        \(tls.names.joined(separator: ", "))
                  addresses    \(tls.addresses.map(\.description).joined(separator: ", "))
                  valid until  \(tls.expiresAt.formatted(.iso8601)) (renewed by 'spot node run' within 30 days of that)
                  venue CA     SHA-256 \(tls.authorityFingerprint)
                Next: spot node run --data \(data.data) --host 0.0.0.0
                  the kiosk:   https://\(tls.names.first ?? "NODE"):8443/kiosk/
                  for phones:  http://\(tls.names.first ?? "NODE"):8081/trust (how to trust the venue CA)
                Other nodes of this venue share the CA: pass --ca-certificate and --ca-key with these files.
                """)
        }
    }
}
