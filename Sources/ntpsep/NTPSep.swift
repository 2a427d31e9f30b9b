import ArgumentParser

@main
struct NTPSep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ntpsep",
        abstract: "Next-token prediction on real text through the lens of NTP-separability.",
        version: "0.1.0",
        subcommands: [Analyze.self, Ingest.self, Merge.self, Stats.self, Train.self, Solve.self, Synth.self, Reproduce.self, Check.self, Sweep.self, Doctor.self])

    /// Restarts once with a stronger OpenBLAS kernel when needed (see BLASKernelStartup), then runs the command.
    static func main() {
        BLASKernelStartup.restartWithBestKernelIfNeeded()
        main(nil)
    }
}
