/// The divergence rule of every training path (dense full batch, stochastic batches, streamed
/// one-hot), applied to each full-data CE a path computes: every step in a dense full-batch run,
/// the logged steps elsewhere (a stochastic step only estimates the loss on its batch, and a
/// streamed run knows CE(W_k) only as the sum of its columns' logged shares). One rule in one
/// place, so the paths cannot drift apart again (QA round 9: only the dense full-batch path
/// stopped, and a streamed GD run at η = 1e300 wrote a W of 5.75e298 entries with exit 0).
public struct DivergenceWatch {
    /// Consecutive increases that stop a run (`TrainingOptions.divergencePatience`).
    public let patience: Int
    /// Whether increases count: only full-batch GD, which is monotone with a safe step. NGD and
    /// Adam oscillate near the infimum by design, and stochastic steps by their sampling.
    public let countsIncreases: Bool
    private var first: Double?
    private var previous = Double.infinity
    private var increases = 0

    /// The rule for a run with `options`; `fullBatch` false for stochastic batches.
    public init(options: TrainingOptions, fullBatch: Bool) {
        patience = options.divergencePatience
        countsIncreases = fullBatch && options.optimizer.kind == .gd
    }

    /// Takes CE(W) at `step` (observations in step order; the first one is the baseline) and
    /// throws `TrainingError.diverged` on a non-finite loss, a loss above 1000 × max(first, 1)
    /// (descent methods never climb far above their start) or `patience` increases in a row.
    public mutating func observe(step: Int, ce: Double) throws {
        if !ce.isFinite { throw TrainingError.diverged(step: step, reason: "loss is \(ce)") }
        let first = self.first ?? ce
        self.first = first
        if ce > 1000 * max(first, 1) { throw TrainingError.diverged(step: step, reason: "loss exploded to \(ce)") }
        // Beyond rounding: a converged GD run creeps by a few ulps either way.
        if countsIncreases && ce > previous * (1 + 1e-12) { increases += 1 } else { increases = 0 }
        if increases >= patience {
            throw TrainingError.diverged(step: step, reason: "loss increased for \(increases) consecutive steps")
        }
        previous = ce
    }
}
