#if canImport(Glibc)
import Glibc
#endif

/// SIGINT → a flag the training loops check once per step, so Ctrl-C ends a run with a
/// checkpoint instead of losing it.
public enum InterruptFlag {
    nonisolated(unsafe) static var raised: sig_atomic_t = 0

    /// Installs the SIGINT handler (idempotent). Only sets the flag: the loop does the rest.
    public static func install() {
        signal(SIGINT) { _ in InterruptFlag.raised = 1 }
    }

    /// True once SIGINT has arrived.
    public static var isRaised: Bool { raised != 0 }

    /// Clears the flag (tests, or a caller that handled it).
    public static func reset() { raised = 0 }
}
