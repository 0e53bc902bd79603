import ArgumentParser
import Foundation
import SpotCore
import SpotTooling

/// `spot`: the one entry point to HVFLVSPOT.
struct Spot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spot",
        abstract: "HVFLVSPOT: offline-first ticketing — signed QR tickets, venue nodes, door kiosks.",
        discussion: """
            Exit status: 0 on success (or an admitted ticket), 1 when a ticket is refused or an \
            operation fails, 2 on usage errors (bad options, missing or unreadable files).
            """,
        version: HVFLVSPOT.version,
        subcommands: [
            DemoCommand.self, ServerCommand.self, NodeCommand.self, KeysCommand.self, TicketCommand.self, BenchCommand.self,
            VectorsCommand.self,
        ]
    )
}

@main
enum SpotMain {
    static func main() async {
        do {
            var command = try await Spot.asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            exit(error.exitCode)
        } catch let error as ToolingError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            exit(CLIError.failureExitCode)
        } catch {
            let code = Spot.exitCode(for: error)
            if code == .success || error is ExitCode { Spot.exit(withError: error) }
            FileHandle.standardError.write(Data((Spot.fullMessage(for: error) + "\n").utf8))
            // ArgumentParser reports usage errors as EX_USAGE (64); spot uses 2 for them.
            exit(code == .validationFailure ? CLIError.usageExitCode : code.rawValue)
        }
    }
}
