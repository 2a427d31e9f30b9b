import ArgumentParser

/// ArgumentParser spends time quadratic in the number of values of a repeated `@Argument` (each
/// value re-merges the set of positions seen so far, and each is removed from the front of the
/// argument list): 8,000 inputs took 5.5 s before the command ran, 16,000 took 15 s. So, for
/// the commands that take many inputs, each run of consecutive inputs reaches it as one
/// placeholder, put back after parsing.
protocol RepeatedInputs: ParsableCommand {
    /// The repeated positional argument (inputs, parts).
    var repeatedValues: [String] { get set }
}

enum PositionalRuns {
    /// Below this many arguments the parser's cost does not matter and nothing is replaced.
    static let threshold = 64
    /// Commands whose positional arguments are one repeated `@Argument` (see `RepeatedInputs`).
    static let commands: Set<String> = ["ingest", "stats", "analyze", "merge"]

    /// `arguments` (without the program name) with each run of two or more consecutive values
    /// after the first one replaced by a placeholder, and the runs it stands for. The first
    /// value of a run stays: it may belong to the option before it. Every later one is
    /// positional, as each option takes one value. Nothing after `--` is replaced.
    static func compact(_ arguments: [String]) -> (arguments: [String], runs: [[String]]) {
        guard arguments.count >= threshold, let command = arguments.first, commands.contains(command) else { return (arguments, []) }
        var out: [String] = [command], runs: [[String]] = []
        var i = 1
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { out.append(contentsOf: arguments[i...]); break }
            out.append(a)
            i += 1
            guard isValue(a) else { continue }
            var end = i
            while end < arguments.count, isValue(arguments[end]) { end += 1 }
            if end - i >= 2 {
                out.append(placeholder(runs.count))
                runs.append(Array(arguments[i..<end]))
                i = end
            }
        }
        return (out, runs)
    }

    /// `values` with each placeholder replaced by its run.
    static func expand(_ values: [String], runs: [[String]]) -> [String] {
        guard !runs.isEmpty else { return values }
        var index: [String: Int] = [:]
        for k in runs.indices { index[placeholder(k)] = k }
        return values.flatMap { index[$0].map { runs[$0] } ?? [$0] }
    }

    /// A value no shell argument is: it starts with a control character.
    private static func placeholder(_ k: Int) -> String { "\u{1}inputs-\(k)" }

    /// Not an option: "-" (standard input) or anything not starting with "-".
    private static func isValue(_ a: String) -> Bool { a == "-" || !a.hasPrefix("-") }
}
