import NTPFormats

extension MaxMarginSolution {
    /// W^mm = x*/‖x*‖² from Wolfe's minimum-norm point (theory.md §7), for when the block coordinate
    /// ascent stops short of its KKT tolerance (QA: 200,000 epochs on m = 60, d = 21, where the
    /// minimum-norm point settled γ* in 0.04 s). Ties and margins are measured on W's own logits, the
    /// gap is that of the point's certified bracket; there is no dual iterate, so the dual sum and the
    /// complementarity are NaN. Nil unless the point is separable and its W meets `tolerance`.
    public init?(minimumNormPoint point: MinimumNormPointMaxMargin, subspace s: DataSubspace, epochs: Int, tolerance: Double) {
        guard point.verdict == .separable, let w = point.weights else { return nil }
        let v = s.vocabularySize, m = s.contextCount
        let logits = TheoryKernels.product(w, .logits, vocab: v, features: s.features)
        var kkt = MaxMarginSolver.measure(nil, logits, s.layout, v: v, m: m)
        kkt.normSquared = w.reduce(0) { $0 + $1 * $1 }
        kkt.dualSum = .nan
        kkt.complementarity = .nan
        kkt.relativeGap = point.bracket.upper > 0 ? (point.bracket.upper - point.bracket.lower) / point.bracket.upper : 0
        guard kkt.tieViolation <= tolerance, kkt.marginViolation <= tolerance, kkt.relativeGap <= tolerance else { return nil }
        self.init(status: .separable, weights: w, logits: logits, normSquared: kkt.normSquared, dualSum: .nan, kkt: kkt,
                  marginUpperBound: point.bracket.upper, epochs: epochs)
        fromMinimumNormPoint = true
    }
}
