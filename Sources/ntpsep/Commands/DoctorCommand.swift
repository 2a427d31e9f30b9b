import ArgumentParser
import NTPReport

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The machine as ntpsep sees it: CPU, BLAS library, version and kernel (and why), CKernels variant, threads.",
        discussion: "One `key: value` line each; benchmark scripts read the `cpu`, `cores` and `blas kernel` lines.")

    func run() throws {
        print(MachineReport(version: NTPSep.configuration.version, decision: BLASKernelStartup.decision(),
                            trainThreads: ThreadsOption.defaultThreads).text)
    }
}
