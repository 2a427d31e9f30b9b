import Foundation
import NTPCore

/// Runs ntpsep with the strongest OpenBLAS kernel the CPU supports.
///
/// OpenBLAS reads `OPENBLAS_CORETYPE` once, in its load-time constructor, which runs before any
/// code of this executable (it is a `DT_NEEDED` library of the binary). A CPU newer than the
/// system's OpenBLAS makes it fall back to a generic core (Debian 12's 0.3.21 picks `Prescott`
/// on a family-6 model-207 Xeon with AVX-512: a GEMM 4.2× slower than with `SkylakeX`). So when
/// the kernel OpenBLAS picked is of a weaker SIMD level than the CPU and OS support, the process
/// sets `OPENBLAS_CORETYPE` and re-executes itself once; `restartMarker` in the environment
/// (holding the core OpenBLAS had picked) stops a second restart and lets `doctor` say why.
/// A user's own `OPENBLAS_CORETYPE` is never overridden.
enum BLASKernelStartup {
    /// Set on the restart; its value is the core OpenBLAS picked by itself.
    static let restartMarker = "NTPSEP_BLAS_RESTARTED"
    /// For tests of the restart only: treat OpenBLAS's own choice as this core name.
    static let pretendVariable = "NTPSEP_BLAS_PRETEND_CORE"

    /// The decision for this process (stateless: recomputed from the environment and the library).
    static func decision() -> BLASKernelDecision {
        let environment = ProcessInfo.processInfo.environment
        let cpu = CPUFeatures.current()
        if let picked = environment[restartMarker], let set = environment["OPENBLAS_CORETYPE"] {
            var decision = BLASKernelDecision.decide(userCoreType: nil, reported: picked, cpu: cpu)
            decision.needsRestart = false
            decision.reason += "; ntpsep restarted itself once with OPENBLAS_CORETYPE=\(set)"
            return decision
        }
        let reported = environment[pretendVariable] ?? BLASLibrary.kernel
        return BLASKernelDecision.decide(userCoreType: environment["OPENBLAS_CORETYPE"], reported: reported, cpu: cpu)
    }

    /// Re-executes the process with `OPENBLAS_CORETYPE` set when the decision asks for it.
    /// Returns normally when no restart is needed, or when the restart fails (then the run
    /// continues with OpenBLAS's own kernel, after one line on stderr).
    static func restartWithBestKernelIfNeeded() {
        #if os(Linux) && arch(x86_64)
        let environment = ProcessInfo.processInfo.environment
        guard environment[restartMarker] == nil else { return }
        let decision = decision()
        guard decision.needsRestart else { return }
        let picked = environment[pretendVariable] ?? BLASLibrary.kernel
        setenv("OPENBLAS_CORETYPE", decision.kernel, 1)
        setenv(restartMarker, picked, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed.
        let error = String(cString: strerror(errno))
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(restartMarker)
        FileHandle.standardError.write(Data("ntpsep: could not restart with OPENBLAS_CORETYPE=\(decision.kernel) (\(error)); continuing with OpenBLAS's \(picked) kernel\n".utf8))
        #endif
    }
}
