import NTPFormats

/// SIGINT → a flag the training loops check once per step, so Ctrl-C ends a run with a
/// checkpoint instead of losing it. A second Ctrl-C (or SIGTERM/SIGHUP) ends the process at
/// once, deleting the temporary files of writes under way (`SignalCleanup`).
public enum InterruptFlag {
    /// Defers the first SIGINT to the flag (idempotent). Only sets the flag: the loop does the rest.
    public static func install() {
        SignalCleanup.deferFirstInterrupt()
    }

    /// True once SIGINT has arrived.
    public static var isRaised: Bool { SignalCleanup.interruptRequested }

    /// Clears the flag (tests, or a caller that handled it).
    public static func reset() { SignalCleanup.resetInterrupt() }
}
