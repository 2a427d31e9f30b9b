import NTPFormats

extension ContextFeatures {
    /// The embeddings of `rows` only, in that order. Sparse features keep only the coordinates these
    /// rows use, renumbered in increasing order (one-hot becomes the identity of the subset): a Farkas
    /// pair (α, β) names contexts and tokens only, so it carries over to the full H unchanged, and a
    /// subset never needs a V × d_full decoder.
    public func selecting(rows: [Int]) -> ContextFeatures {
        switch storage {
        case .identity:
            return ContextFeatures(dimension: rows.count, contextCount: rows.count, storage: .identity)
        case .dense(let h):
            var out = [Double](); out.reserveCapacity(rows.count * dimension)
            for j in rows { out.append(contentsOf: h[(j * dimension)..<((j + 1) * dimension)]) }
            return ContextFeatures(dimension: dimension, contextCount: rows.count, storage: .dense(out))
        case .sparse(let r, let indices, let values):
            var idx: [Int32] = [], vals: [Double]? = values == nil ? nil : []
            idx.reserveCapacity(rows.count * r)
            for j in rows {
                idx.append(contentsOf: indices[(j * r)..<((j + 1) * r)])
                if let v = values { vals!.append(contentsOf: v[(j * r)..<((j + 1) * r)]) }
            }
            let used = Array(Set(idx)).sorted()
            var renumber = [Int32: Int32](minimumCapacity: used.count)
            for (i, f) in used.enumerated() { renumber[f] = Int32(i) }
            return ContextFeatures(dimension: max(used.count, 1), contextCount: rows.count,
                                   storage: .sparse(nonzerosPerContext: r, indices: idx.map { renumber[$0]! }, values: vals))
        }
    }
}

/// Deciding whole corpora through their most frequent contexts.
///
/// Separability of a data set implies separability of every subset of its contexts (fewer
/// constraints), so Farkas multipliers found on a subset, with the subset's embeddings taken from
/// the full H, are a certificate for the whole data set. The ladder decides the k most frequent
/// contexts for k = start, 2·start, 4·start, … and stops at the first subset that is not separable;
/// only a data set whose every rung is separable needs the full problem solved.
///
/// An at-threshold rung bounds the whole data set as well (`wholeAtThreshold`): the ladder keeps
/// that bound and climbs on, since a larger rung may still give a Farkas pair at round-off.
public enum SubsetLadder {
    /// One rung that was decided.
    public struct Rung: Codable, Equatable, Sendable {
        public var contexts: Int
        public var verdict: String
        public var seconds: Double
    }

    /// Contexts with more next tokens than this join the ladder only after all others.
    public static let largeSupport = 16

    /// The routes that need no rungs: one-hot contexts in closed form at any size (with a sparse W), and
    /// forced ties on all contexts (two tokens that share more than d contexts can be forced to tie
    /// only on the whole data, since no rung within the tie budget has that many, and counting pairs
    /// costs little).
    private static func decidedWithoutRungs(_ data: DataSet, features: ContextFeatures,
                                            options: SeparabilityOptions) -> SeparabilityResult? {
        if case .identity = features.storage { return Separability.decide(data, features: features, options: options) }
        return options.useForcedTies ? ForcedTies.decide(data, features: features, options: options) : nil
    }

    /// The contexts in rung order (most frequent first, but more than `largeSupport` next tokens last: every
    /// subset is a valid place for a Farkas certificate, and large supports cost Σ(k_j − 1) ties each), and
    /// how many of them fit the minimum-norm point's tie budget (past it only the LP could decide a rung,
    /// far too large on a whole vocabulary). The budget comes from the time limit itself, not the clock, so
    /// that the rungs (and the reason that names the budget) are the same on every run.
    private static func rungOrder(_ data: DataSet, options: SeparabilityOptions) -> (order: [Int], within: Int, tieBudget: Int) {
        func key(_ j: Int) -> (Int, Double) { (data.supportSize(j) > largeSupport ? 1 : 0, -data.rowTotal(j)) }
        let order = (0..<data.contextCount).sorted { key($0) != key($1) ? key($0) < key($1) : $0 < $1 }
        let tieBudget = options.minNormPointTieBudget(seconds: options.timeLimit)
        var ties = 0, within = 0
        for j in order {
            ties += max(data.supportSize(j) - 1, 0)
            if ties > tieBudget { break }
            within += 1
        }
        return (order, within, tieBudget)
    }

    /// An undecided answer for the whole set, saying why and which rungs ran.
    private static func undecided(_ reason: String, method: String, options: SeparabilityOptions) -> SeparabilityResult {
        var out = SeparabilityResult(verdict: .undecided, involvedContexts: [], reason: reason)
        out.tolerance = options.tolerance
        out.method = method
        return out
    }

    /// A not-separable rung's Farkas pair as the whole data set's answer, once it verifies there.
    private static func wholeNotSeparable(_ rung: SeparabilityResult, rows: [Int], data: DataSet, features: ContextFeatures,
                                          options: SeparabilityOptions) -> SeparabilityResult? {
        guard let f = rung.farkas else { return nil }
        let cert = reindexed(f, rows: rows, data: data)
        let check = Separability.verify(cert, data: data, features: features, tolerance: options.tolerance)
        guard check.valid else { return nil }
        var out = SeparabilityResult(verdict: .notSeparable, farkas: cert, check: check,
                                     involvedContexts: Separability.involvedContexts(cert), lp: rung.lp)
        out.marginBracket = MarginBracket(lower: 0, upper: check.residualNorm, scale: Separability.constraintScale(features))
        out.tolerance = options.tolerance
        out.exactResidual = options.exactResidual
        return out
    }

    /// A rung's Farkas pair in the rows of the whole data set (`rows[i]` is the rung's context i).
    static func reindexed(_ f: FarkasCertificate, rows: [Int], data: DataSet) -> FarkasCertificate {
        FarkasCertificate(
            marginMultipliers: f.marginMultipliers.map { ConstraintMultiplier(context: rows[$0.context], token: $0.token, weight: $0.weight) },
            tieMultipliers: f.tieMultipliers.map { ConstraintMultiplier(context: rows[$0.context], token: $0.token, weight: $0.weight) },
            anchors: Separability.anchors(data))
    }

    /// The whole data set's answer from an at-threshold rung, or nil when the rung bounds nothing.
    ///
    /// More contexts only add constraints, so γ*(whole) ≤ γ*(rung), and every W that separates the
    /// whole separates the rung. A rung's Farkas pair that verifies to τ on the whole therefore keeps
    /// its norm bound ‖W‖_F ≥ 1/‖R‖_F, and a rung's upper end on γ* below 10τ·scale bounds the whole
    /// too. A rung that is at the threshold only through a separating W of small margin (no upper end)
    /// says nothing about the rest.
    static func wholeAtThreshold(_ rung: SeparabilityResult, rows: [Int], data: DataSet, features: ContextFeatures,
                                 options: SeparabilityOptions) -> SeparabilityResult? {
        let scale = Separability.constraintScale(features)
        let k = rows.count
        var out: SeparabilityResult
        if let f = rung.farkas, case let cert = reindexed(f, rows: rows, data: data),
           case let check = Separability.verify(cert, data: data, features: features, tolerance: options.tolerance), check.valid {
            out = SeparabilityResult(verdict: .atThreshold, farkas: cert, check: check,
                                     involvedContexts: Separability.involvedContexts(cert), lp: rung.lp)
            out.marginBracket = MarginBracket(lower: 0, upper: check.residualNorm, scale: scale)
            out.reason = "on the \(k) most frequent contexts a Farkas pair verifies to τ = \(options.tolerance) but not to round-off (relative residual \(check.relativeResidual)): the whole data set is separable, if at all, only by a W with ‖W‖_F ≥ \(1 / check.residualNorm)"
        } else if let upper = rung.marginBracket?.upper, upper < 10 * options.tolerance * scale {
            out = SeparabilityResult(verdict: .atThreshold, involvedContexts: [], reason:
                "the \(k) most frequent contexts have γ* ≤ \(upper), below 10τ·scale = \(10 * options.tolerance * scale), and more contexts only lower γ*",
                marginBracket: MarginBracket(lower: 0, upper: upper, scale: scale))
        } else {
            return nil
        }
        out.tolerance = options.tolerance
        out.exactResidual = options.exactResidual
        return out
    }

    /// Decides `data` under `features`; a Farkas certificate from a rung is re-indexed to the rows of
    /// `data` and re-verified against `data` and `features` before it is returned.
    public static func decide(_ data: DataSet, features: ContextFeatures, options: SeparabilityOptions = SeparabilityOptions(),
                              start: Int = 1_000, progress: ((Rung) -> Void)? = nil) -> (result: SeparabilityResult, rungs: [Rung]) {
        let m = data.contextCount
        if let whole = decidedWithoutRungs(data, features: features, options: options) { return (whole, []) }
        let (order, within, tieBudget) = rungOrder(data, options: options)
        let deadline = monotonicSeconds() + options.timeLimit
        var rungs: [Rung] = []
        var atThreshold: SeparabilityResult?
        func ladder() -> String { "subset ladder " + rungs.map { "\($0.contexts): \($0.verdict)" }.joined(separator: ", ") }
        var k = min(max(start, 1), m, max(within, 1))
        while true {
            var o = options
            o.firstOrderIterations = 0
            o.timeLimit = max(1, deadline - monotonicSeconds())
            // A rung's bracket on γ* is for its subset and is dropped: only the whole data set's is bounded.
            o.boundMarginAfterYes = options.boundMarginAfterYes && k == m
            // Forced ties were tried on all contexts above; a subset shares fewer contexts per pair.
            o.useForcedTies = false
            let t0 = monotonicSeconds()
            if k == m {
                var r = Separability.decide(data, features: features, options: o)
                rungs.append(Rung(contexts: k, verdict: r.verdict.rawValue, seconds: monotonicSeconds() - t0))
                progress?(rungs.last!)
                if r.verdict != .notSeparable && r.verdict != .atThreshold, var bound = atThreshold {
                    bound.method += "; \(ladder())"
                    return (bound, rungs)
                }
                r.method = "\(r.method); contexts by decreasing count, rungs " + rungs.map { "\($0.contexts): \($0.verdict)" }.joined(separator: ", ")
                return (r, rungs)
            }
            let rows = Array(order[0..<k]).sorted()
            let sub = DataSetSampling.select(data, rows: rows)
            let r = Separability.decide(sub, features: features.selecting(rows: rows), options: o)
            rungs.append(Rung(contexts: k, verdict: r.verdict.rawValue, seconds: monotonicSeconds() - t0))
            progress?(rungs.last!)
            if r.verdict == .notSeparable, var out = wholeNotSeparable(r, rows: rows, data: data, features: features, options: options) {
                out.method = "\(r.method) on the \(k) most frequent of \(counted(m, "context")) (a Farkas certificate for any superset)"
                return (out, rungs)
            }
            if r.verdict == .atThreshold, var bound = wholeAtThreshold(r, rows: rows, data: data, features: features, options: options) {
                bound.method = "\(r.method) on the \(k) most frequent of \(counted(m, "context")) (a bound for any superset)"
                atThreshold = bound
            } else if r.verdict != .separable || atThreshold != nil {
                // A rung with no sharper answer leaves the last rung's bound standing; without a bound, an
                // undecided rung (or an at-threshold one that bounds nothing) says nothing about the whole.
                if var bound = atThreshold { bound.method += "; \(ladder())"; return (bound, rungs) }
                return (undecided("the \(k) most frequent contexts gave '\(r.verdict.rawValue)'\(r.reason.map { ": \($0)" } ?? "")",
                                  method: ladder(), options: options), rungs)
            }
            if monotonicSeconds() > deadline || (k == within && within < m) {
                if var bound = atThreshold { bound.method += "; \(ladder())"; return (bound, rungs) }
                return (undecided(monotonicSeconds() > deadline
                    ? "the time limit was reached after the \(k) most frequent contexts, which are separable"
                    : "the \(k) most frequent contexts (all that fit \(tieBudget) ties) are separable; the whole data set is out of reach",
                                  method: ladder(), options: options), rungs)
            }
            k = min(2 * k, m)
            if k > within && within >= 1 && k < m { k = within }
        }
    }
}
