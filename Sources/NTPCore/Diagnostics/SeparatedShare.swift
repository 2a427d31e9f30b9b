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
        count(data, features: features, decoder: SeparatingCertificate(weights: weights, anchors: []),
              tolerance: tolerance, method: method)
    }

    /// Every context and event, without a pass over the logits, when the check of a separating W
    /// already proves it: each context's support logits exceed its off-support ones by at least
    /// min margin − max tie, and τ · max_v |ℓ_{j,v}| ≤ τ ‖W‖_F max‖h̄_j‖ < tie bound, so min margin − max
    /// tie > 2 · tie bound (2 for the round-off of the two sides) meets `count`'s condition everywhere.
    /// nil otherwise, or when no context has events. The second pass took 8 s of a 26 s check on 1,000
    /// WordNet contexts over V = 58,642 (QA round 14).
    public static func allSeparated(by check: CertificateCheck?, data: DataSet, method: String) -> SeparatedShare? {
        guard let check, check.valid, let bound = check.tieBound, check.minMargin - check.maxTieViolation > 2 * bound,
              (0..<data.contextCount).contains(where: { data.rowTotal($0) > 0 }) else { return nil }
        return SeparatedShare(contexts: 1, events: 1, method: method)
    }

    /// The same count for the decoder of a certificate (dense or sparse).
    public static func count(_ data: DataSet, features: ContextFeatures, decoder: SeparatingCertificate,
                             tolerance: Double = 1e-9, method: String) -> SeparatedShare {
        var contexts = 0.0, allContexts = 0.0, events = 0.0, allEvents = 0.0
        for j in 0..<data.contextCount where data.rowTotal(j) > 0 { allContexts += 1; allEvents += data.rowTotal(j) }
        decoder.forEachContext(data, features: features) { j, s in
            let total = data.rowTotal(j)
            if total > 0 && s.highOut < s.lowIn - tolerance * s.largest { contexts += 1; events += total }
        }
        return SeparatedShare(contexts: allContexts > 0 ? contexts / allContexts : 0,
                              events: allEvents > 0 ? events / allEvents : 0, method: method)
    }
}
