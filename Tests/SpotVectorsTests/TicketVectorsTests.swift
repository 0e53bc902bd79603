import Foundation
import Testing

@testable import SpotVectors

@Suite("Vector generator")
struct TicketVectorsTests {
    @Test("The committed vectors are exactly what the generator produces (no silent drift)")
    func committedFileIsCurrent() throws {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SyncProtocol/vectors/\(TicketVectors.fileName)")
        let committed = try Data(contentsOf: url)
        let generated = try TicketVectors.make().encoded()
        #expect(committed == generated, "regenerate with `\(TicketVectors.command)` and review the diff")
    }

    @Test("Generation is deterministic")
    func deterministic() throws {
        #expect(try TicketVectors.make().encoded() == TicketVectors.make().encoded())
    }

    @Test("Case names are unique")
    func uniqueNames() throws {
        let names = try TicketVectors.make().cases.map(\.name)
        #expect(Set(names).count == names.count)
    }
}
