import ArgumentParser
import Foundation
import NTPCore
import NTPFormats
import NTPPlot

struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Regenerate the paper's two synthetic experiments (App. A): the 2-D toy and m = 50.",
        discussion: """
        (a) 2-D toy: d = 2, m = 3, V = 5, k_j = 3, exact probabilities; the first seed from \
        --toy-seed whose draw is NTP-separable (exact LP) and compatible (d < m, so not every draw is). \
        W^mm is solved and toy.svg shows its rows (word embeddings, scaled to the contexts' \
        length) as arrows and the context embeddings h̄_j as points.
        (b) m = 50, V = 10, k_j = 6, d = 60, n = 5000 samples, N(0, 1) embeddings: GD (η = 0.5), \
        normalized GD (η = 0.01) and Adam (η = 0.01, β = 0.9, 0.99) from W = 0 for --steps \
        updates; paper-m50-{gd,ngd,adam}.csv logs, paper-m50.svg (the four panels overlaid) and \
        summary.json (final CE − 𝓗, ‖P_𝓕(W) − W*‖, cos(W, W^mm), cos(W − W*, W^mm) per \
        optimizer). The data are `ntpsep synth`'s for the same seeds (printed), also written as \
        paper-m50.npz and paper-m50-H.npy. Outputs depend only on the options.
        """)

    @Option(help: "Output directory (created if missing).")
    var out: String

    @Option(help: "Seed of the m = 50 data (embeddings: seed + 1, as `ntpsep synth`).")
    var seed: UInt64 = 0

    @Option(help: "First seed tried for the 2-D toy.")
    var toySeed: UInt64 = 0

    @Option(help: "Updates per optimizer.")
    var steps: Int = 10_000

    @Option(help: "Log every this many updates.")
    var logEvery: Int = 10

    func run() throws {
        guard steps >= 1, logEvery >= 1 else { throw CLIError("--steps and --log-every must be ≥ 1") }
        // Built in a staging folder and renamed into place at the end: a failed run leaves no OUT.
        try checkOutputDirectory(out, option: "--out")
        let folder = try OutputFolder(path: out)
        setBLASThreads(1)
        let toy = try runToy(folder)
        let paper = try runPaper(folder)
        let summary: [String: Any] = ["toy": toy, "paper_m50": paper]
        let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys, .prettyPrinted])
        try writeFileAtomically(path: folder.file("summary.json"), contents: String(decoding: json, as: UTF8.self) + "\n")
        try folder.commit()
        print("wrote      \(path("summary.json"))")
    }

    private func path(_ name: String) -> String { (out as NSString).appendingPathComponent(name) }

    // MARK: (a) 2-D toy

    private func runToy(_ folder: OutputFolder) throws -> [String: Any] {
        let v = 5, m = 3, d = 2
        for s in toySeed..<(toySeed &+ 1000) {
            let data = try SyntheticData.generate(SyntheticSpec(contexts: m, vocabulary: v, support: .fixed(3), seed: s))
            let features = SyntheticData.gaussianEmbeddings(dimension: d, contexts: m, scale: 1, seed: s &+ 1)
            let subspace = try DataSubspace(data: data, features: features)
            let star = subspace.solveFinitePart()
            // Exact LP decision first: the NTP-SVM would take many epochs to certify a non-separable draw.
            guard star.isCompatible, Separability.decide(data, features: features).verdict == .separable else { continue }
            let mm = try MaxMarginSolver().solve(subspace)
            guard mm.status == .separable else { continue }

            let h = features.denseMatrix()                      // column j = h̄_j
            let hMax = (0..<m).map { j in (h[j * d] * h[j * d] + h[j * d + 1] * h[j * d + 1]).squareRoot() }.max()!
            let wMax = (0..<v).map { z in (mm.weights[z * d] * mm.weights[z * d] + mm.weights[z * d + 1] * mm.weights[z * d + 1]).squareRoot() }.max()!
            let c = hMax / wMax
            // Tokens with equal rows (same pattern of supports) share one arrow: "w0=w2".
            var groups: [[Int]] = []
            for z in 0..<v {
                let dx = { (g: [Int]) in abs(mm.weights[g[0] * d] - mm.weights[z * d]) + abs(mm.weights[g[0] * d + 1] - mm.weights[z * d + 1]) }
                if let i = groups.firstIndex(where: { dx($0) <= 1e-6 * wMax }) { groups[i].append(z) } else { groups.append([z]) }
            }
            let arrows = groups.map { g in
                ArrowPlot.Item(label: g.map { "w\($0)" }.joined(separator: "="), x: c * mm.weights[g[0] * d], y: c * mm.weights[g[0] * d + 1])
            }
            let points = (0..<m).map { j -> ArrowPlot.Item in
                let support = (data.rowOffsets[j]..<data.rowOffsets[j + 1]).map { "\(data.columns[$0])" }.joined(separator: ",")
                return ArrowPlot.Item(label: "h\(j) {\(support)}", x: h[j * d], y: h[j * d + 1])
            }
            let title = "2-D toy: rows of W^mm (×\(general(c, 3))) and contexts h_j {S_j}"
            try writeFileAtomically(path: folder.file("toy.svg"), contents: ArrowPlot(title: title, arrows: arrows, points: points).svg())
            let entropy = data.entropy()
            print("toy        seed \(s) (ntpsep synth --contexts 3 --vocab 5 --support 3 --seed \(s) --dim 2 --embeddings-out H.npy): 𝓗 = \(fixed(entropy, 4)) nats, ‖W^mm‖ = \(general(mm.normSquared.squareRoot(), 6)), margin = \(general(mm.margin, 6))")
            print("wrote      \(path("toy.svg"))")
            return ["seed": s, "entropy": entropy, "norm_wmm": mm.normSquared.squareRoot(), "norm_wstar": theoryNorm(star.weights),
                    "W_mm": (0..<v).map { z in [mm.weights[z * d], mm.weights[z * d + 1]] },
                    "H": (0..<m).map { j in [h[j * d], h[j * d + 1]] },
                    "supports": (0..<m).map { j in (data.rowOffsets[j]..<data.rowOffsets[j + 1]).map { Int(data.columns[$0]) } }]
        }
        throw CLIError("no separable and compatible 2-D toy draw among seeds \(toySeed)..<\(toySeed &+ 1000)")
    }

    // MARK: (b) m = 50

    private func runPaper(_ folder: OutputFolder) throws -> [String: Any] {
        let n = 5000, d = 60
        var data = try SyntheticData.generate(SyntheticSpec(contexts: 50, vocabulary: 10, support: .fixed(6), samples: n, seed: seed))
        let features = SyntheticData.gaussianEmbeddings(dimension: d, contexts: data.contextCount, scale: 1, seed: seed &+ 1)
        try SyntheticData.recordEmbedding(in: &data, dimension: d, scale: 1, seed: seed &+ 1)
        try data.writeNPZ(to: folder.file("paper-m50.npz"))
        try writeNPY(NPYArray(doubles: features.denseMatrix(), shape: [d, data.contextCount], fortranOrder: true), to: folder.file("paper-m50-H.npy"))
        let loss = try NTPLoss(data: data, features: features, threads: 1)
        print("m = 50     seed \(seed) (ntpsep synth --contexts 50 --vocab 10 --support 6 --samples \(n) --seed \(seed) --dim \(d) --embeddings-out H.npy): m = \(data.contextCount), V = 10, d = \(d), 𝓗 = \(fixed(loss.entropy, 4)) nats")
        let resolved = try solveReference(data: data, features: features)
        guard let reference = resolved.reference, reference.hasDirection else {
            throw CLIError("the m = 50 draw has no W^mm (\(resolved.summary))")
        }
        print("reference  \(resolved.summary)")
        let starNorm = theoryNorm(reference.wStar), mmNorm = theoryNorm(reference.wMM)

        let configs: [(String, OptimizerConfig)] = [
            ("GD", OptimizerConfig(kind: .gd, learningRate: 0.5)),
            ("NGD", OptimizerConfig(kind: .ngd, learningRate: 0.01)),
            ("Adam", OptimizerConfig(kind: .adam, learningRate: 0.01, beta1: 0.9, beta2: 0.99)),
        ]
        var runs: [(String, [LogRow])] = []
        var results: [String: Any] = [:]
        print("optimizer      η   steps   CE − 𝓗      ‖P_F W − W*‖  (rel.)     cos(W,Wmm)  cos(W−W*,Wmm)  time")
        for (name, config) in configs {
            let clock = Stopwatch()
            let options = TrainingOptions(optimizer: config, steps: steps, logEvery: logEvery)
            let rows = try Trainer(loss: loss, options: options, reference: reference).run().log
            let file = "paper-m50-\(config.kind.rawValue).csv"
            try writeFileAtomically(path: folder.file(file), contents: TrainingLogFormat.csv(rows))
            runs.append((name, rows))
            let last = rows.last!
            let dist = last.distanceToWStar ?? .nan, c1 = last.cosineMM ?? .nan, c2 = last.cosineShiftedMM ?? .nan
            print("\(name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(general(config.learningRate, 2).leftPadded(6)) \(String(steps).leftPadded(7))   \(formatted(last.gap))   \(formatted(dist))  (\(formatted(dist / starNorm)))  \(fixed(c1, 5))     \(fixed(c2, 5))        \(clock.elapsedText)")
            results[config.kind.rawValue] = [
                "lr": config.learningRate, "steps": steps, "csv": file,
                "ce": last.ce, "ce_minus_entropy": last.gap, "norm_w": last.norm,
                "dist_pf_w_wstar": dist, "rel_dist_pf_w_wstar": dist / starNorm,
                "cos_w_wmm": c1, "cos_w_minus_wstar_wmm": c2,
            ] as [String: Any]
        }
        try writeFileAtomically(path: folder.file("paper-m50.svg"), contents: trainingFigure(runs: runs, entropy: loss.entropy))
        print("wrote      \(path("paper-m50.svg")), \(configs.map { path("paper-m50-\($0.1.kind.rawValue).csv") }.joined(separator: ", "))")
        return ["seed": seed, "embedding_seed": seed &+ 1, "m": data.contextCount, "V": 10, "d": d, "samples": n,
                "entropy": loss.entropy, "norm_wstar": starNorm, "norm_wmm": mmNorm, "log_every": logEvery, "runs": results]
    }
}

private func formatted(_ x: Double) -> String { String(format: "%.3e", x) }

private extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

private func theoryNorm(_ a: [Double]) -> Double { a.reduce(0) { $0 + $1 * $1 }.squareRoot() }
