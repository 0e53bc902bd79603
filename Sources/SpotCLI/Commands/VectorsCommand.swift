import ArgumentParser
import Foundation
import SpotVectors

struct VectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Regenerate (or check) the protocol test vectors in SyncProtocol/vectors.",
        discussion: """
            Every vector file (tickets-v1.json, sync-v1.json, sync-v2.json) is generated from fixed keys, \
            identifiers and times, so the output is byte-for-byte reproducible. With --check, \
            each file must equal what the generators make and the directory may hold no other \
            vector file; the test suite runs the check.

            Example:
              spot vectors --out SyncProtocol/vectors
              spot vectors --out SyncProtocol/vectors --check
            """
    )

    @Option(help: ArgumentHelp("The vectors directory.", valueName: "DIR"))
    var out: String

    @Flag(help: "Compare instead of writing; exit 1 if a committed file is stale, missing or unknown.")
    var check = false

    func run() throws {
        let files: [(name: String, contents: Data)]
        do {
            files = try VectorFiles.all()
        } catch {
            throw CLIError.failure("cannot generate vectors: \(error)")
        }
        let directory = URL(fileURLWithPath: out)
        guard check else {
            for file in files {
                let path = directory.appendingPathComponent(file.name).path
                try Files.write(file.contents, to: path)
                print("wrote \(path)")
            }
            return
        }
        var problems: [String] = []
        for file in files {
            let path = directory.appendingPathComponent(file.name).path
            switch FileManager.default.contents(atPath: path) {
            case nil: problems.append("'\(path)' is missing: run `spot vectors --out \(out)`")
            case file.contents?: print("\(path) is up to date")
            default: problems.append("'\(path)' is stale: run `spot vectors --out \(out)` and review the diff")
            }
        }
        let known = Set(files.map(\.name))
        let present = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
        for name in present.sorted() where name.hasSuffix(".json") && !known.contains(name) {
            problems.append(
                "'\(directory.appendingPathComponent(name).path)' is not made by any generator: remove it, or generate it in SpotVectors")
        }
        guard problems.isEmpty else { throw CLIError.failure(problems.joined(separator: "\n")) }
    }
}
