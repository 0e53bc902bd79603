import ArgumentParser
import Foundation
import SpotVectors

struct VectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Regenerate (or check) the protocol test vectors in SyncProtocol/vectors.",
        discussion: """
            The vectors are generated from fixed keys, identifiers and times, so the output is \
            byte-for-byte reproducible; the test suite fails if the committed file differs.

            Example:
              spot vectors --out SyncProtocol/vectors
              spot vectors --out SyncProtocol/vectors --check
            """
    )

    @Option(help: ArgumentHelp("The vectors directory.", valueName: "DIR"))
    var out: String

    @Flag(help: "Compare instead of writing; exit 1 if the committed file is stale.")
    var check = false

    func run() throws {
        let path = (out as NSString).appendingPathComponent(TicketVectors.fileName)
        let data: Data
        do {
            data = try TicketVectors.make().encoded()
        } catch {
            throw CLIError.failure("cannot generate vectors: \(error)")
        }
        if check {
            guard FileManager.default.contents(atPath: path) == data else {
                throw CLIError.failure("'\(path)' is stale: run `spot vectors --out \(out)`")
            }
            print("\(path) is up to date")
        } else {
            try Files.write(data, to: path)
            print("wrote \(path)")
        }
    }
}
