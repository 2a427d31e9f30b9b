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

    /// Decides `data` under `features`; a Farkas certificate from a rung is re-indexed to the rows of
    /// `data` and re-verified against `data` and `features` before it is returned.
    public static func decide(_ data: DataSet, features: ContextFeatures, options: SeparabilityOptions = SeparabilityOptions(),
                              start: Int = 1_000, progress: ((Rung) -> Void)? = nil) -> (result: SeparabilityResult, rungs: [Rung]) {
        let m = data.contextCount
        if let whole = decidedWithoutRungs(data, features: features, options: options) { return (whole, []) }
        // Most frequent first, but contexts with more than `largeSupport` next tokens last: every subset
        // is a valid place for a Farkas certificate, and large supports cost Σ(k_j − 1) ties each.
        func key(_ j: Int) -> (Int, Double) { (data.supportSize(j) > largeSupport ? 1 : 0, -data.rowTotal(j)) }
        let order = (0..<m).sorted { key($0) != key($1) ? key($0) < key($1) : $0 < $1 }
        // The largest prefix whose ties Σ(k_j − 1) fit the minimum-norm point's tie basis: past it only
        // the LP could decide a rung, and on a whole vocabulary it is far too large.
        // From the time limit itself, not the clock, so that the rungs (and the reason that names the
        // budget) are the same on every run.
        let tieBudget = options.minNormPointTieBudget(seconds: options.timeLimit)
        var ties = 0, within = 0
        for j in order {
            ties += max(data.supportSize(j) - 1, 0)
            if ties > tieBudget { break }
            within += 1
        }
        let deadline = monotonicSeconds() + options.timeLimit
        var rungs: [Rung] = []
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
                r.method = "\(r.method); contexts by decreasing count, rungs " + rungs.map { "\($0.contexts): \($0.verdict)" }.joined(separator: ", ")
                return (r, rungs)
            }
            let rows = Array(order[0..<k]).sorted()
            let sub = DataSetSampling.select(data, rows: rows)
            let r = Separability.decide(sub, features: features.selecting(rows: rows), options: o)
            rungs.append(Rung(contexts: k, verdict: r.verdict.rawValue, seconds: monotonicSeconds() - t0))
            progress?(rungs.last!)
            if r.verdict == .notSeparable, let f = r.farkas {
                let cert = FarkasCertificate(
                    marginMultipliers: f.marginMultipliers.map { ConstraintMultiplier(context: rows[$0.context], token: $0.token, weight: $0.weight) },
                    tieMultipliers: f.tieMultipliers.map { ConstraintMultiplier(context: rows[$0.context], token: $0.token, weight: $0.weight) },
                    anchors: Separability.anchors(data))
                let check = Separability.verify(cert, data: data, features: features, tolerance: options.tolerance)
                if check.valid {
                    var out = SeparabilityResult(verdict: .notSeparable, farkas: cert, check: check,
                                                 involvedContexts: Separability.involvedContexts(cert), lp: r.lp)
                    out.marginBracket = MarginBracket(lower: 0, upper: check.residualNorm, scale: Separability.constraintScale(features))
                    out.tolerance = options.tolerance
                    out.method = "\(r.method) on the \(k) most frequent of \(counted(m, "context")) (a Farkas certificate for any superset)"
                    return (out, rungs)
                }
            }
            if r.verdict != .separable || monotonicSeconds() > deadline {
                // An undecided or at-threshold rung says nothing about the whole: report it as such.
                var out = SeparabilityResult(verdict: .undecided, involvedContexts: [], reason:
                    "the \(k) most frequent contexts gave '\(r.verdict.rawValue)'\(r.reason.map { ": \($0)" } ?? "")")
                out.tolerance = options.tolerance
                out.method = "subset ladder " + rungs.map { "\($0.contexts): \($0.verdict)" }.joined(separator: ", ")
                return (out, rungs)
            }
            if k == within && within < m {
                var out = SeparabilityResult(verdict: .undecided, involvedContexts: [], reason:
                    "the \(k) most frequent contexts (all that fit \(tieBudget) ties) are separable; the whole data set is out of reach")
                out.tolerance = options.tolerance
                out.method = "subset ladder " + rungs.map { "\($0.contexts): \($0.verdict)" }.joined(separator: ", ")
                return (out, rungs)
            }
            k = min(2 * k, m)
            if k > within && within >= 1 && k < m { k = within }
        }
    }
}
