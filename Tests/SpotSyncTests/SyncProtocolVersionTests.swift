import Testing

@testable import SpotSync

@Suite("Sync protocol version negotiation")
struct SyncProtocolVersionTests {
    @Test("The current version is served")
    func current() throws {
        #expect(try SyncProtocolVersion.negotiate(SyncProtocolVersion.current.rawValue) == .current)
        #expect(SyncProtocolVersion.supported.contains(.current))
        #expect(SyncProtocolVersion.supported.allSatisfy { $0.rawValue >= SyncProtocolVersion.current.rawValue - 1 })
    }

    @Test("A newer version asks to upgrade the server, an older one the node")
    func unsupported() {
        let newer = SyncProtocolVersion.current.rawValue + 1
        #expect {
            try SyncProtocolVersion.negotiate(newer)
        } throws: { error in
            (error as? UnsupportedProtocolVersion)?.description.contains("upgrade the server") == true
        }
        #expect {
            try SyncProtocolVersion.negotiate(0)
        } throws: { error in
            (error as? UnsupportedProtocolVersion)?.description.contains("upgrade the node") == true
        }
    }
}
