import ArgumentParser
import Foundation
import NTPReport

/// `--json`: print the command's result as JSON (its keys documented with the result type) instead
/// of text; the one JSON path (`JSONText`).
struct JSONOption<Report: CommandReport>: ParsableArguments {
    @Flag(help: ArgumentHelp("Print the result as JSON (keys: \(Report.jsonKeys))."))
    var json = false

    /// Prints `report` as JSON or as text (nothing for an empty text).
    func emit(_ report: Report) throws {
        if json {
            print(try JSONText.pretty(report))
        } else if !report.text.isEmpty {
            print(report.text)
        }
    }
}

/// `--json` and `-q/--quiet` of a command with a report: the result as JSON, as text, or nothing.
struct ReportConsole<Report: CommandReport>: ParsableArguments {
    @OptionGroup var format: JSONOption<Report>
    @OptionGroup var silence: QuietFlag

    /// Whether `--json` was given.
    var json: Bool { format.json }
    /// Whether `-q/--quiet` was given.
    var quiet: Bool { silence.quiet }

    /// Refuses `--json` with `-q` (one asks for the result on stdout, the other for nothing).
    func validate() throws {
        if json && quiet { throw UserError("--json and -q/--quiet contradict each other (the result as JSON, or nothing on stdout): drop one") }
    }

    /// Prints `report` as JSON or text, unless quiet.
    func emit(_ report: Report) throws {
        if !quiet { try format.emit(report) }
    }

    /// Prints `text` unless quiet.
    func emit(_ text: String) { silence.emit(text) }
}

/// `-q/--quiet`: print nothing on success (no result on stdout, no progress on stderr); errors
/// still print.
struct QuietFlag: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print nothing on success (no result, no progress lines); errors still print.")
    var quiet = false

    /// Prints `text` unless quiet.
    func emit(_ text: String) {
        if !quiet { print(text) }
    }

    /// The progress bar setting: an explicit --progress/--no-progress, else off when quiet (nil: when
    /// stderr is a terminal).
    func progress(_ explicit: Bool?) -> Bool? { explicit ?? (quiet ? false : nil) }
}

/// `--time-limit SECONDS`: the budget of each stage of a check (the decision, the NTP-SVM solve, the
/// entropy gap) and of each of sweep's decisions.
struct TimeBudget: ParsableArguments {
    @Option(help: "Time budget of each separability decision (all its routes: null-space cutting planes or LP, minimum-norm point, exact LP) and of check's compatibility solve, NTP-SVM margin solve and entropy gap (Adam, then the certified lower end, in one budget), seconds (default: 600 for check, 120 for sweep). The separated share of a verdict other than yes is not begun past the entropy gap's limit, but not cut short.")
    var timeLimit: Double?

    /// The budget given, or `standard`.
    func seconds(default standard: Double) -> Double { timeLimit ?? standard }
}

/// `--threads N`: the workers of train's loss (results do not depend on it).
struct ThreadsOption: ParsableArguments {
    /// `--threads` when not given (also shown by `ntpsep doctor`).
    static let defaultThreads = 2

    @Option(help: "Worker threads of the loss (outputs are the same bytes for any count).")
    var threads: Int = ThreadsOption.defaultThreads

    func validate() throws { try OptionCheck.positive(threads, "--threads") }
}

/// `--gap-steps N`: the Adam steps of the entropy-gap minimiser (check, analyze).
struct GapStepsOption: ParsableArguments {
    @Option(help: "Adam steps of the entropy-gap minimiser CE − 𝓗 (0 skips it; default 2000, analyze --quick 500).")
    var gapSteps: Int?

    func validate() throws { if let gapSteps { try OptionCheck.nonNegative(gapSteps, "--gap-steps") } }
}
