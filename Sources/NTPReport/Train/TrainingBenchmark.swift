import NTPFormats
import NTPCore

/// `train --benchmark`: seconds per full-batch step (loss, gradient, update), no log.
enum TrainingBenchmark {
    /// Times `options.steps` steps (at least one) and returns the line `train` prints.
    static func run(loss: NTPLoss, options: TrainingOptions, streams: Bool, label: String) throws -> String {
        let n = max(1, options.steps)
        let v = loss.vocabularySize, d = loss.dimension, m = loss.contextCount
        if streams {
            var o = options
            o.steps = n; o.logEvery = n
            let clock = Stopwatch()
            _ = try OnehotStreamingTrainer(loss: loss, options: o, withReference: false).run()
            let per = clock.elapsed / Double(n)
            return "benchmark: onehot streaming \(options.optimizer.kind.rawValue) V=\(v) m=\(m): \(formatted("%.6f", per)) s/step (mean of \(n))"
        }
        var w = options.initialization.weights(count: loss.parameterCount, dimension: d)
        var g = [Double](repeating: 0, count: loss.parameterCount)
        var opt = Optimizer(config: options.optimizer, parameterCount: loss.parameterCount)
        _ = loss.lossAndGradient(w, gradient: &g)      // warm-up (page faults, BLAS buffers)
        var times: [Double] = []
        for _ in 0..<n {
            let clock = Stopwatch()
            _ = loss.lossAndGradient(w, gradient: &g)
            opt.apply(gradient: g, to: &w)
            times.append(clock.elapsed)
        }
        times.sort()
        let median = times[times.count / 2]
        var line = "benchmark: \(label) V=\(v) d=\(d) m=\(m): median \(formatted("%.6f", median)) s/step, min \(formatted("%.6f", times[0])) s (\(counted(n, "step")))"
        if case .dense = loss.features.storage {
            line += ", " + formatted("%.1f", 4.0 * Double(v) * Double(d) * Double(m) / median / 1e9) + " GFLOP/s in the two GEMMs"
        }
        return line
    }
}
