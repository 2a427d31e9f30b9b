import CSupport
import Foundation
import NTPCore

/// `ntpsep doctor`: the machine as ntpsep sees it, one `key: value` line each (benchmark scripts
/// read the `cpu`, `cores` and `blas kernel` lines).
public struct MachineReport {
    /// ntpsep's version, the BLAS kernel decision of this process and train's default thread count.
    let version: String
    let decision: BLASKernelDecision
    let trainThreads: Int

    /// A report with the executable's facts filled in.
    public init(version: String, decision: BLASKernelDecision, trainThreads: Int) {
        self.version = version; self.decision = decision; self.trainThreads = trainThreads
    }

    /// The lines `doctor` prints.
    public var text: String {
        let cpu = CPUFeatures.current()
        let ckernels = cKernelsVariant()
        let environment = ProcessInfo.processInfo.environment
        let threadSettings = ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"].compactMap { name in
            environment[name].map { "\(name)=\($0)" }
        }
        var lines: [(String, String)] = [
            ("ntpsep", version),
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
            ("train threads", "\(trainThreads) by default (--threads: the loss's workers; its GEMMs run on one BLAS thread each)"),
        ]
        return lines.map { key, value in "\(key):".padded(15) + value }.joined(separator: "\n")
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
