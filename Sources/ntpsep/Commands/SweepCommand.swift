import ArgumentParser
import Foundation
import NTPCore
import NTPFormats

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Separability vs embedding dimension: real supports against a random-support null model.",
        discussion: """
        For every d in --dims and every trial t, gaussian:d:(seed+t) embeddings are drawn for the data set
        and for a null model with the same m, V, support sizes and counts but uniformly random supports.
        Reports the share of separable trials and the threshold d*/m (smallest d with ≥ 50 % separable,
        linearly interpolated).
        """)

    @Argument(help: "A data set (.npz) written by ntpsep ingest.")
    var data: String

    @Option(help: "Embedding family (only gaussian: i.i.d. N(0, 1/d) per context).")
    var embedding: String = "gaussian"

    @Option(help: "Dimensions: a comma list, with optional ranges START-END:STEP, e.g. 10,20,50-200:50.")
    var dims: String

    @Option(help: "Seeded trials per dimension.")
    var trials: Int = 5

    @Option(help: "Write the rows as CSV here.")
    var csv: String?

    @Option(help: "Write an SVG plot of the separable share against d/m here.")
    var plot: String?

    @Flag(help: "Skip the random-support null model.")
    var noNull = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Option(help: "Time budget of each exact separability LP, seconds.")
    var timeLimit: Double = 600

    @Option(help: "GD steps per trial for the entropy gap CE − 𝓗 (0 = skip the entropy gap).")
    var ceSteps: Int = 1000

    @Flag(help: "Skip the compatibility residual.")
    var noCompat = false

    @Option(help: "Context lengths to compare, e.g. 1-3 or 2,3 (orders ≤ the data set's; shorter contexts are derived from its counts). Each order gets its own rows, CSV block and plot (PLOT-orderN.svg).")
    var orders: String?

    @OptionGroup var selection: ContextSelectionArguments

    func run() throws {
        if let orders { return try runOrders(try parseOrderList(orders)) }
        guard embedding == "gaussian" else { throw CLIError("--embedding \(embedding): sweep supports only gaussian") }
        guard trials > 0 else { throw CLIError("--trials must be positive") }
        let dimensions = try parseDimensionList(dims)
        if let p = csv { try checkWritable(p) }
        if let p = plot { try checkWritable(p) }
        let (ds, _, note) = try selection.load(data)
        let clock = Stopwatch()
        let result = try NTPCore.Sweep.run(ds, options: sweepOptions(dimensions), hooks: sweepHooks()) { line in
            FileHandle.standardError.write(Data(("  " + line + " (" + clock.elapsedText + ")\n").utf8))
        }
        if let p = csv { try writeFileAtomically(path: p, contents: result.csv()) }
        if let p = plot { try writeFileAtomically(path: p, contents: sweepSVG(result)) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        print("m = \(grouped(ds.contextCount))\(note), V = \(grouped(ds.vocabularySize)), \(trials) trials per d")
        print("model".padding(toLength: 6, withPad: " ", startingAt: 0) + "d".leftPad(7) + "d/m".leftPad(9)
              + "separable".leftPad(11) + "undecided".leftPad(11) + "compatible".leftPad(11)
              + "residual".leftPad(11) + "CE − 𝓗".leftPad(11) + "LP s".leftPad(9))
        for r in result.rows {
            print(r.model.padding(toLength: 6, withPad: " ", startingAt: 0) + String(r.dimension).leftPad(7)
                  + fixed(r.ratio, 4).leftPad(9) + fixed(r.separableShare, 2).leftPad(11)
                  + fixed(r.undecidedShare, 2).leftPad(11) + (r.compatibleShare.map { fixed($0, 2) } ?? "-").leftPad(11)
                  + (r.medianResidual.map { general($0, 3) } ?? "-").leftPad(11)
                  + (r.medianEntropyGap.map { general($0, 3) } ?? "-").leftPad(11) + fixed(r.medianDecisionSeconds, 2).leftPad(9))
        }
        func t(_ x: Double?) -> String { x.map { fixed($0, 4) } ?? "not reached" }
        print("threshold d*/m: real \(t(result.thresholdReal))" + (noNull ? "" : ", null \(t(result.thresholdNull))"))
    }
}

extension Sweep {
    func sweepOptions(_ dimensions: [Int]) -> SweepOptions {
        var options = SweepOptions(dimensions: dimensions, trials: trials, seed: selection.seed)
        options.includeNull = !noNull
        options.separability.timeLimit = timeLimit
        return options
    }

    /// Compatibility and the entropy gap per trial (as asked); no margin, no first-order fallback.
    func sweepHooks() -> CheckHooks {
        var hooks = CheckHooks.standard(crossEntropySteps: max(ceSteps, 1))
        hooks.maxMarginNorm = nil
        hooks.complementProjector = nil
        if ceSteps <= 0 { hooks.minimizeCrossEntropy = nil }
        if noCompat { hooks.compatibilityResidual = nil }
        return hooks
    }

    /// `--orders`: the same dimension sweep for each context length, derived from one data set.
    func runOrders(_ list: [Int]) throws {
        let dimensions = try parseDimensionList(dims)
        let full = try DataSet(contentsOfNPZ: data)
        try full.validate()
        guard let top = list.max(), top <= full.contextLength + 1 else {
            throw CLIError("--orders \(orders ?? ""): \(data) has order \(full.contextLength + 1); ingest at a higher --order")
        }
        if let p = csv { try checkWritable(p) }
        var csvText = "order,"
        var first = true
        let clock = Stopwatch()
        print("order" + "contexts".leftPad(10) + "mean k".leftPad(8) + "  threshold d*/m real" + "  null")
        for order in list {
            let shorter = try full.marginalized(toContextLength: order - 1)
            let (ds, _) = DataSetSampling.subsample(shorter, maxContexts: selection.maxContexts,
                                                    minContextCount: selection.minContextCount, seed: selection.seed)
            let result = try NTPCore.Sweep.run(ds, options: sweepOptions(dimensions), hooks: sweepHooks()) { line in
                FileHandle.standardError.write(Data(("  order \(order) " + line + " (" + clock.elapsedText + ")\n").utf8))
            }
            let lines = result.csv().split(separator: "\n", omittingEmptySubsequences: true)
            if first { csvText += lines[0] + "\n"; first = false }
            for line in lines.dropFirst() { csvText += "\(order),\(line)\n" }
            if let p = plot {
                let base = p.hasSuffix(".svg") ? String(p.dropLast(4)) : p
                try writeFileAtomically(path: "\(base)-order\(order).svg", contents: sweepSVG(result))
            }
            func t(_ x: Double?) -> String { x.map { fixed($0, 4) } ?? "not reached" }
            print(String(order).leftPad(5) + grouped(ds.contextCount).leftPad(10)
                  + fixed(Double(ds.storedCount) / Double(max(ds.contextCount, 1)), 2).leftPad(8)
                  + "  " + t(result.thresholdReal).leftPad(19) + "  " + (noNull ? "-" : t(result.thresholdNull)))
        }
        if let p = csv { try writeFileAtomically(path: p, contents: csvText) }
    }
}

/// "10,20,50-200:50" -> [10, 20, 50, 100, 150, 200] (sorted, unique, positive).
func parseDimensionList(_ text: String) throws -> [Int] {
    var out: [Int] = []
    for part in text.split(separator: ",") {
        let rangeAndStep = part.split(separator: ":")
        let bounds = rangeAndStep[0].split(separator: "-")
        if bounds.count == 1, rangeAndStep.count == 1, let d = Int(bounds[0]), d > 0 {
            out.append(d)
        } else if bounds.count == 2, rangeAndStep.count <= 2, let a = Int(bounds[0]), let b = Int(bounds[1]), a > 0, a <= b,
                  let step = rangeAndStep.count == 2 ? Int(rangeAndStep[1]) : 1, step > 0 {
            out.append(contentsOf: stride(from: a, through: b, by: step))
        } else {
            throw CLIError("--dims: cannot read '\(part)' (expected e.g. 10,20,50-200:50)")
        }
    }
    guard !out.isEmpty else { throw CLIError("--dims is empty") }
    return Array(Set(out)).sorted()
}

/// A small self-contained SVG: separable share against d/m, real (solid) and null (dashed), with
/// the ½ line and the thresholds.
func sweepSVG(_ r: SweepResult) -> String {
    let w = 640.0, h = 400.0, left = 60.0, right = 20.0, top = 30.0, bottom = 50.0
    let maxX = max(r.rows.map { $0.ratio }.max() ?? 1, 1e-9)
    func x(_ v: Double) -> Double { left + v / maxX * (w - left - right) }
    func y(_ v: Double) -> Double { h - bottom - v * (h - top - bottom) }
    func f(_ v: Double) -> String { fixed(v, 1) }
    var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    s += "<line x1=\"\(f(left))\" y1=\"\(f(y(0)))\" x2=\"\(f(w - right))\" y2=\"\(f(y(0)))\" stroke=\"black\"/>\n"
    s += "<line x1=\"\(f(left))\" y1=\"\(f(y(0)))\" x2=\"\(f(left))\" y2=\"\(f(y(1)))\" stroke=\"black\"/>\n"
    s += "<line x1=\"\(f(left))\" y1=\"\(f(y(0.5)))\" x2=\"\(f(w - right))\" y2=\"\(f(y(0.5)))\" stroke=\"#bbb\" stroke-dasharray=\"2,3\"/>\n"
    for i in 0...4 {
        let v = Double(i) / 4
        s += "<text x=\"\(f(left - 8))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(fixed(v, 2))</text>\n"
        let xv = maxX * v
        s += "<text x=\"\(f(x(xv)))\" y=\"\(f(h - bottom + 18))\" text-anchor=\"middle\">\(general(xv, 3))</text>\n"
    }
    s += "<text x=\"\(f((left + w - right) / 2))\" y=\"\(f(h - 10))\" text-anchor=\"middle\">d / m (m = \(r.contexts))</text>\n"
    s += "<text x=\"15\" y=\"\(f((top + h - bottom) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 15 \(f((top + h - bottom) / 2)))\">share separable</text>\n"
    for (model, color, dash) in [("real", "#1f77b4", ""), ("null", "#d62728", " stroke-dasharray=\"6,4\"")] {
        let rows = r.rows.filter { $0.model == model }.sorted { $0.dimension < $1.dimension }
        guard !rows.isEmpty else { continue }
        let pts = rows.map { "\(f(x($0.ratio))),\(f(y($0.separableShare)))" }.joined(separator: " ")
        s += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
        for p in rows { s += "<circle cx=\"\(f(x(p.ratio)))\" cy=\"\(f(y(p.separableShare)))\" r=\"3\" fill=\"\(color)\"/>\n" }
        let th = model == "real" ? r.thresholdReal : r.thresholdNull
        let label = "\(model) supports" + (th.map { ", d*/m ≈ \(general($0, 3))" } ?? "")
        let ly = model == "real" ? top : top + 16
        s += "<text x=\"\(f(left + 10))\" y=\"\(f(ly))\" fill=\"\(color)\">\(label)</text>\n"
        if let t = th { s += "<line x1=\"\(f(x(t)))\" y1=\"\(f(y(0)))\" x2=\"\(f(x(t)))\" y2=\"\(f(y(1)))\" stroke=\"\(color)\" stroke-width=\"1\" stroke-dasharray=\"1,3\"/>\n" }
    }
    return s + "</svg>\n"
}
