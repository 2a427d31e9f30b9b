import ArgumentParser
import Foundation
import NTPFormats

@main
struct NTPSep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ntpsep",
        abstract: "Next-token prediction on real text through the lens of NTP-separability.",
        version: "0.1.0",
        subcommands: [Analyze.self, Ingest.self, Merge.self, Stats.self, Train.self, Solve.self, Synth.self, Reproduce.self, Check.self, SweepCommand.self, Doctor.self])

    /// Restarts once with a stronger OpenBLAS kernel when needed (see BLASKernelStartup), then runs
    /// the command as ArgumentParser's `main` does, except that an error is one line on stderr
    /// ("Error: …", no usage block), as for every other bad input; help, --version and exit codes
    /// are unchanged.
    static func main() {
        BLASKernelStartup.restartWithBestKernelIfNeeded()
        // Before any work: until then SIGQUIT reached Swift's backtracer, which printed a backtrace and let
        // the run go on to write its outputs (QA round 11); SIGINT/TERM/HUP ended it without cleanup.
        SignalCleanup.install()
        do {
            // Many inputs reach the parser as placeholders (see PositionalRuns).
            let given = NegativeValues.attach(Array(CommandLine.arguments.dropFirst()))
            let (arguments, runs) = PositionalRuns.compact(given)
            var command = try parseAsRoot(arguments)
            if !runs.isEmpty, var withInputs = command as? any RepeatedInputs {
                withInputs.repeatedValues = PositionalRuns.expand(withInputs.repeatedValues, runs: runs)
                command = withInputs
            }
            try command.run()
        } catch {
            let code = exitCode(for: error)
            let text = message(for: error)
            if code == .success || text.isEmpty { exit(withError: error) }
            let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            FileHandle.standardError.write(Data(("Error: " + line + "\n").utf8))
            Foundation.exit(code.rawValue)
        }
    }
}
