import ArgumentParser
import CSupport
import Foundation
import NTPCore

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The machine as ntpsep sees it: CPU, BLAS library, version and kernel (and why), CKernels variant, threads.",
        discussion: "One `key: value` line each; benchmark scripts read the `cpu`, `cores` and `blas kernel` lines.")

    func run() throws {
        let cpu = CPUFeatures.current()
        let decision = BLASKernelStartup.decision()
        let ckernels = cKernelsVariant()
        let environment = ProcessInfo.processInfo.environment
        let threadSettings = ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"].compactMap { name in
            environment[name].map { "\(name)=\($0)" }
        }
        var lines: [(String, String)] = [
            ("ntpsep", NTPSep.configuration.version),
            ("cpu", cpuModelName() ?? "unknown"),
            ("cpu features", cpu.summary),
            ("cores", "\(ntp_available_cpus()) available to this process"),
            ("blas library", "OpenBLAS \(BLASLibrary.version)"),
            ("blas config", BLASLibrary.configuration),
            ("blas kernel", BLASLibrary.kernel),
            ("kernel reason", decision.reason),
        ]
        if BLASLibrary.kernel.lowercased() != decision.kernel.lowercased() {
            lines.append(("warning", "asked for \(decision.kernel) but OpenBLAS runs \(BLASLibrary.kernel)"))
        }
        lines += [
            ("ckernels", "\(ckernels.current) (widest supported: \(ckernels.supported))"),
            ("blas threads", "\(blasThreadCount())" + (threadSettings.isEmpty ? " (OpenBLAS default)" : " (" + threadSettings.joined(separator: ", ") + ")")),
            ("train threads", "\(Train.defaultThreads) by default (--threads: the loss's workers; its GEMMs run on one BLAS thread each)"),
        ]
        for (key, value) in lines { print("\(key):".padding(toLength: 15, withPad: " ", startingAt: 0) + value) }
    }

    /// The "model name" line of /proc/cpuinfo (Linux), nil elsewhere.
    private func cpuModelName() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
