import ArgumentParser
import NTPReport

/// What a command's `-o/--output` names, for its help text. The output is required unless the role
/// is an `OptionalOutputRole`.
protocol OutputRole {
    /// The help text of `-o/--output`.
    static var help: String { get }
    /// Whether the command needs an output.
    static var isRequired: Bool { get }
}

/// An output the command can do without.
protocol OptionalOutputRole: OutputRole {}

extension OutputRole {
    static var isRequired: Bool { true }
}

extension OptionalOutputRole {
    static var isRequired: Bool { false }
}

/// `-o/--output PATH`, the one spelling of every command's output. `--out` is the former spelling
/// of solve, train, analyze and reproduce, kept hidden for one release.
struct OutputOption<Role: OutputRole>: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp(Role.help, valueName: "path"))
    var output: String?

    @Option(name: .customLong("out"), help: .hidden)
    var formerOutput: String?

    func validate() throws {
        if output != nil && formerOutput != nil { throw UserError("give -o/--output once (--out is its former spelling)") }
        if Role.isRequired && path == nil { throw UserError("missing -o/--output: \(Role.help)") }
        // "-" is stdin on the input side; as an output it made a file named "-" (QA round 11).
        if path == "-" { throw UserError("-o -: outputs go to files, not to stdout; give a file name") }
    }

    /// The path given (nil when none).
    var path: String? { output ?? formerOutput }

    /// The path of a command whose output is required (checked by `validate`).
    var requiredPath: String { path! }
}

/// A data set (.npz) file: ingest, synth.
enum DataSetFile: OutputRole { static let help = "Output data set (.npz)." }

/// merge's output.
enum MergedFile: OutputRole { static let help = "Output: a data set (.npz) or a part (any other name)." }

/// solve's .npz.
enum SolutionOutput: OutputRole { static let help = "Output solution (.npz)." }

/// train's final W.
enum WeightsOutput: OptionalOutputRole { static let help = "Write the final W as a V × d float64 .npy." }

/// analyze's folder.
enum AnalysisFolder: OptionalOutputRole { static let help = "Output folder (default: ./ntpsep-out/NAME, NAME the corpus file without its extension, or the folder that holds all the inputs)." }

/// reproduce's folder.
enum ReproductionFolder: OutputRole { static let help = "Output folder (made when complete)." }
