import NTPCore
import NTPFormats

/// `analyze`'s training stage: GD (safe step), NGD and Adam (η = 0.01) from zero on Gaussian
/// features, logged against W* and W^mm.
enum ThreeOptimizers {
    static func train(_ data: DataSet, dimension: Int, steps: Int, seed: UInt64) throws
        -> (runs: [(name: String, rows: [LogRow])], summary: [TrainingSummary]) {
        let features = try ContextFeatures.make(.gaussian(dimension: dimension, seed: seed), for: data)
        let loss = try NTPLoss(data: data, features: features)
        // analyze's figures use W* and W^mm only; γ*_∞'s LP would add up to a minute.
        let reference = try solveReference(data: data, features: features, linfTimeLimit: nil).reference
        var runs: [(name: String, rows: [LogRow])] = [], summary: [TrainingSummary] = []
        for kind in [OptimizerKind.gd, .ngd, .adam] {
            let eta = OptimizerConfig.defaultLearningRate(for: kind, curvature: kind == .gd ? loss.curvatureBound() : 0)
            let options = TrainingOptions(optimizer: OptimizerConfig(kind: kind, learningRate: eta), steps: steps,
                                          logEvery: max(1, steps / 100))
            let result = try Trainer(loss: loss, options: options, reference: reference).run()
            let name = kind.rawValue.uppercased()
            runs.append((name, result.log))
            let last = result.log.last!
            summary.append(TrainingSummary(optimizer: name, learningRate: eta, steps: steps, contexts: data.contextCount,
                                           dimension: dimension, gap: last.gap, norm: last.norm,
                                           distanceToWStar: last.distanceToWStar, cosineMM: last.cosineMM,
                                           cosineShiftedMM: last.cosineShiftedMM))
        }
        return (runs, summary)
    }
}
