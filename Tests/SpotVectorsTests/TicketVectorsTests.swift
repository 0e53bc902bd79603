import Foundation
import Testing

@testable import SpotVectors

@Suite("Vector generator")
struct TicketVectorsTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SyncProtocol/vectors")

    @Test("Every committed vector file is exactly what its generator produces, and none is hand-written")
    func committedFilesAreCurrent() throws {
        let files = try VectorFiles.all()
        #expect(files.map(\.name).sorted()
            == ([TicketVectors.fileName, PeerVectors.fileName] + SyncVectors.versions.map(SyncVectors.fileName)).sorted())
        for file in files {
            let committed = try Data(contentsOf: Self.directory.appendingPathComponent(file.name))
            #expect(committed == file.contents, "regenerate with `\(TicketVectors.command)` and review the diff")
        }
        let present = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".json") }
        #expect(Set(present) == Set(files.map(\.name)))
    }

    @Test("Generation is deterministic")
    func deterministic() throws {
        #expect(try VectorFiles.all().map(\.contents) == VectorFiles.all().map(\.contents))
    }

    @Test("Case names are unique")
    func uniqueNames() throws {
        let names = try TicketVectors.make().cases.map(\.name)
        #expect(Set(names).count == names.count)
    }
}
