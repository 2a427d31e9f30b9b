import NTPFormats

/// The share of contexts (and of events) that one W ⊥ 𝓕 separates: every off-support logit strictly
/// below the support logits. Any such W shows that at least this share can be separated at once, so
/// the numbers are lower bounds on the best achievable share; which W is tried is a heuristic.
public struct SeparatedShare: Codable, Equatable, Sendable {
    /// Separated contexts / all contexts with events.
    public var contexts: Double
    /// Events of separated contexts / all events.
    public var events: Double
    /// Which W was counted, in words.
    public var method: String

    /// Counts the contexts `weights` (V × d row-major, already ⊥ 𝓕 so that support logits are tied)
    /// separates: max_{v∉S_j} ℓ_{j,v} < min_{z∈S_j} ℓ_{j,z} − τ · max_v |ℓ_{j,v}|, so ties that hold only
    /// up to rounding do not count. A context whose support is the whole vocabulary has nothing to
    /// separate and counts as separated.
    public static func count(_ data: DataSet, features: ContextFeatures, weights: [Double], tolerance: Double = 1e-9,
                             method: String) -> SeparatedShare {
        let cols = SparseContextColumns(features)
        let V = data.vocabularySize
        var inSupport = [Bool](repeating: false, count: V)
        var logits = [Double](repeating: 0, count: V)
        var contexts = 0.0, allContexts = 0.0, events = 0.0, allEvents = 0.0
        weights.withUnsafeBufferPointer { w in
            for j in 0..<data.contextCount {
                let total = data.rowTotal(j)
                guard total > 0 else { continue }
                allContexts += 1; allEvents += total
                let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
                for e in range { inSupport[Int(data.columns[e])] = true }
                var lowIn = Double.infinity, highOut = -Double.infinity, size = 0.0
                for r in 0..<V {
                    let l = cols.logit(w, row: r, context: j)
                    logits[r] = l
                    size = max(size, abs(l))
                    if inSupport[r] { lowIn = min(lowIn, l) } else { highOut = max(highOut, l) }
                }
                for e in range { inSupport[Int(data.columns[e])] = false }
                if highOut < lowIn - tolerance * size { contexts += 1; events += total }
            }
        }
        return SeparatedShare(contexts: allContexts > 0 ? contexts / allContexts : 0,
                              events: allEvents > 0 ? events / allEvents : 0, method: method)
    }
}
