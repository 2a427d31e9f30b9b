import Foundation
import NTPCore
import NTPFormats

/// `ntpsep reproduce`: the paper's two synthetic experiments (App. A), the 2-D toy and m = 50,
/// written to a folder that appears only when complete. Outputs depend only on the options.
public struct PaperReproduction {
    /// The output folder.
    var output: String
    /// Seed of the m = 50 data (embeddings: seed + 1), first seed tried for the toy.
    var seed: UInt64
    var toySeed: UInt64
    /// Updates per optimizer, and the log interval.
    var steps: Int
    var logEvery: Int

    /// The experiments with these seeds and step counts, written to `output`.
    public init(output: String, seed: UInt64, toySeed: UInt64, steps: Int, logEvery: Int) {
        self.output = output; self.seed = seed; self.toySeed = toySeed; self.steps = steps; self.logEvery = logEvery
    }

    /// What `reproduce` prints: the seeds and recipes, the optimizer table, the files written.
    public struct Outcome {
        var summary: ReproductionSummary
        public var text: String
    }

    /// Runs both experiments and writes the folder.
    public func run() throws -> Outcome {
        // Built in a staging folder and renamed into place at the end: a failed run leaves no OUT.
        try checkOutputDirectory(output, option: "--output")
        let folder = try OutputFolder(path: output)
        setBLASThreads(1)
        var lines: [String] = []
        let toy = try runToy(folder, &lines)
        let paper = try runPaper(folder, &lines)
        let summary = ReproductionSummary(toy: toy, paperM50: paper)
        try writeFileAtomically(path: folder.file("summary.json"), contents: try JSONText.pretty(summary) + "\n")
        try folder.commit()
        lines.append("wrote      \(path("summary.json"))")
        return Outcome(summary: summary, text: lines.joined(separator: "\n"))
    }

    private func path(_ name: String) -> String { (output as NSString).appendingPathComponent(name) }

    /// (a) d = 2, m = 3, V = 5, k_j = 3, exact probabilities: the first seed from `toySeed` whose
    /// draw is separable (exact LP) and compatible; toy.svg.
    private func runToy(_ folder: OutputFolder, _ lines: inout [String]) throws -> ReproductionSummary.Toy {
        let v = 5, m = 3, d = 2
        // Offsets, not toySeed..<toySeed + 1000: near 2^64 that range overflowed and trapped (QA round 9).
        // The seeds tried wrap past 2^64 − 1 to 0, as the embedding seed s + 1 does.
        for offset in UInt64(0)..<1000 {
            let s = toySeed &+ offset
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
            let figure = toyFigure(data: data, weights: mm.weights, h: h, scale: hMax / wMax, tolerance: 1e-6 * wMax)
            try writeFileAtomically(path: folder.file("toy.svg"), contents: figure)
            let entropy = data.entropy()
            lines.append("toy        seed \(s) (ntpsep synth --contexts 3 --vocab 5 --support 3 --seed \(s) --dim 2 --embeddings-out H.npy): 𝓗 = \(fixed(entropy, 4)) nats, ‖W^mm‖ = \(general(mm.normSquared.squareRoot(), 6)), margin = \(general(mm.margin, 6))")
            lines.append("wrote      \(path("toy.svg"))")
            return ReproductionSummary.Toy(seed: s, entropy: entropy, normWMM: mm.normSquared.squareRoot(), normWStar: norm(star.weights),
                                           wMM: (0..<v).map { z in [mm.weights[z * d], mm.weights[z * d + 1]] },
                                           h: (0..<d).map { i in (0..<m).map { j in h[j * d + i] } },
                                           supports: (0..<m).map { j in (data.rowOffsets[j]..<data.rowOffsets[j + 1]).map { Int(data.columns[$0]) } })
        }
        throw UserError("no separable and compatible 2-D toy draw among the 1000 seeds from --toy-seed \(toySeed) (\(toySeed) … \(toySeed &+ 999), wrapping past 2^64 − 1 to 0); try another --toy-seed")
    }

    /// (b) m = 50, V = 10, supports drawn with 6 tokens (the 5000 samples leave some contexts fewer),
    /// d = 60, n = 5000: GD, NGD and Adam from W = 0; CSV logs,
    /// paper-m50.svg, the data (.npz) and H (.npy).
    private func runPaper(_ folder: OutputFolder, _ lines: inout [String]) throws -> ReproductionSummary.Paper {
        let n = 5000, d = 60
        var data = try SyntheticData.generate(SyntheticSpec(contexts: 50, vocabulary: 10, support: .fixed(6), samples: n, seed: seed))
        let features = SyntheticData.gaussianEmbeddings(dimension: d, contexts: data.contextCount, scale: 1, seed: seed &+ 1)
        try SyntheticData.recordEmbedding(in: &data, dimension: d, scale: 1, seed: seed &+ 1)
        try data.writeNPZ(to: folder.file("paper-m50.npz"))
        try writeNPY(NPYArray(doubles: features.denseMatrix(), shape: [d, data.contextCount], fortranOrder: true), to: folder.file("paper-m50-H.npy"))
        let loss = try NTPLoss(data: data, features: features, threads: 1)
        lines.append("m = 50     seed \(seed) (ntpsep synth --contexts 50 --vocab 10 --support 6 --samples \(n) --seed \(seed) --dim \(d) --embeddings-out H.npy): m = \(data.contextCount), V = 10, d = \(d), 𝓗 = \(fixed(loss.entropy, 4)) nats")
        let resolved = try solveReference(data: data, features: features)
        guard let reference = resolved.reference, reference.hasDirection else {
            throw UserError("the m = 50 draw has no W^mm (\(resolved.summary))")
        }
        lines.append("reference  \(resolved.summary)")
        let starNorm = norm(reference.wStar)
        let configs: [(String, OptimizerConfig)] = [
            ("GD", OptimizerConfig(kind: .gd, learningRate: 0.5)),
            ("NGD", OptimizerConfig(kind: .ngd, learningRate: 0.01)),
            ("Adam", OptimizerConfig(kind: .adam, learningRate: 0.01, beta1: 0.9, beta2: 0.99)),
        ]
        var runs: [(name: String, rows: [LogRow])] = [], results: [String: ReproductionSummary.Run] = [:]
        lines.append("optimizer      η   steps   CE − 𝓗      ‖P_F W − W*‖  (rel.)     cos(W,Wmm)  cos(W−W*,Wmm)  time")
        for (name, config) in configs {
            let clock = Stopwatch()
            let rows = try Trainer(loss: loss, options: TrainingOptions(optimizer: config, steps: steps, logEvery: logEvery), reference: reference).run().log
            let file = "paper-m50-\(config.kind.rawValue).csv"
            try writeFileAtomically(path: folder.file(file), contents: TrainingLogFormat.csv(rows))
            runs.append((name, rows))
            let last = rows.last!
            let dist = last.distanceToWStar ?? .nan, c1 = last.cosineMM ?? .nan, c2 = last.cosineShiftedMM ?? .nan
            lines.append("\(name.padded(9)) \(general(config.learningRate, 2).padded(6, .right)) \(String(steps).padded(7, .right))   \(scientific(last.gap))   \(scientific(dist))  (\(scientific(dist / starNorm)))  \(fixed(c1, 5))     \(fixed(c2, 5))        \(clock.elapsedText)")
            results[config.kind.rawValue] = ReproductionSummary.Run(lr: config.learningRate, steps: steps, csv: file, ce: last.ce, gap: last.gap,
                                                                    norm: last.norm, distance: dist, relativeDistance: dist / starNorm,
                                                                    cosine: c1, shiftedCosine: c2)
        }
        try writeFileAtomically(path: folder.file("paper-m50.svg"), contents: trainingFigure(runs: runs, entropy: loss.entropy))
        lines.append("wrote      \(path("paper-m50.svg")), \(configs.map { path("paper-m50-\($0.1.kind.rawValue).csv") }.joined(separator: ", "))")
        return ReproductionSummary.Paper(seed: seed, embeddingSeed: seed &+ 1, m: data.contextCount, vocabulary: 10, d: d, samples: n,
                                         entropy: loss.entropy, normWStar: starNorm, normWMM: norm(reference.wMM),
                                         logEvery: logEvery, runs: results)
    }
}

private func scientific(_ x: Double) -> String { formatted("%.3e", x) }

private func norm(_ a: [Double]) -> Double { a.reduce(0) { $0 + $1 * $1 }.squareRoot() }
