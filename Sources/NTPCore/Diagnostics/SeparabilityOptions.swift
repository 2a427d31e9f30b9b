import Foundation
import NTPFormats

/// Tolerances of the decision and of the certificate checks.
public struct SeparabilityOptions: Sendable {
    /// Margin rows per context in the first LP (the globally most frequent off-support tokens).
    public var initialRowsPerContext = 3
    /// At most this many violated margin rows are added per context and round (most violated first).
    public var rowsAddedPerContext = 6
    /// Add per context the sum of all its margin rows (valid, dense in tokens) to the first LP;
    /// it avoids one round per few tokens when the answer is "separable".
    public var aggregateRows = true
    /// Aggregate rows only for contexts with nnz(h̄_j) ≤ this (one-hot, positional one-hot).
    public var aggregateMaxFeatureNonzeros = 8
    /// Full LPs with at most this many margin-block nonzeros get all margin rows at once (no rounds).
    public var fullLPNonzeros = 0
    /// Scale the LP with GLPK's automatic factors (`GLPKScaling`) before the first solve.
    public var scale = false
    /// Use the closed-form certificate for one-hot contexts (H = I): W column j = indicator of S_j.
    public var useClosedForms = true
    /// Decide on the data over token classes (`TokenClasses`: tokens in the supports of the same
    /// contexts merged) when there are fewer classes than tokens, then carry the certificate back:
    /// on 50 KJV contexts over the whole vocabulary (13,746 tokens, 1,957–2,881 classes) decisions
    /// that the LP left undecided after 30 s take 4–9 s.
    public var useTokenClasses = true
    /// Look first for tokens that the ties force to share a decoder row (`ForcedTies`, dense features):
    /// a cheap "no" far below the threshold, where the other routes cannot be built.
    public var useForcedTies = true
    /// Try `DuplicateContexts` (equal embeddings with different supports, or a zero embedding) before the closed forms.
    public var useDuplicateContexts = true
    /// Decide by Wolfe's minimum-norm point (theory.md §7) before falling back to the LP.
    public var useMinNormPoint = true
    /// When the minimum-norm point stalls undecided, give the rest of the time budget to the LP.
    public var useLPAfterStall = true
    /// Ties Σ_j (k_j − 1) up to which the minimum-norm point always factorises the tie Gram (at most
    /// 6,000³/3 flops, a few seconds); see `minNormPointTieBudget(seconds:)` for more.
    public var maxMinNormPointTies = 6_000
    /// Ties up to which it factorises the tie Gram when the time and memory left allow (8 bytes per
    /// entry of the Gram, ties³/3 flops at `tieFactorizationFlopRate`): 2,000 Devil's Dictionary contexts
    /// over 203 tokens (10,855 ties, d = 1,000) went from "undecided" after the W-space LP's 330 s to a
    /// verified "no" in 57 s.
    public var largestMinNormPointTies = 16_000
    /// Flops per second assumed for the tie Gram's pivoted Cholesky when deciding whether it ends before
    /// the deadline; a conservative figure for 2 cores (10,855 ties took about 37 s at a load of 2).
    public var tieFactorizationFlopRate = 5e9
    /// Bytes Wolfe's minimum-norm point may hold: its V × d point, the m × V logits and the Cholesky
    /// factor of its active set, which grows with the set (capacity², doubling). Past it the route
    /// stops: `decide` goes on to the next route, and the NTP-SVM margin to its own solver. nil: half
    /// the available memory (`AvailableMemory`), as ingest's `--memory` default.
    public var minNormPointMemory: Int? = nil
    /// For `maxMarginByMinNormPoint`: stop once γ*'s bracket is this narrow relative to its upper end,
    /// and keep a separating point at which the run stops early (time, memory, stall) as separable
    /// with the bracket it certifies. nil: only the minimum-norm point itself counts (`solve`'s W^mm).
    /// `check` uses `MarginBracket.closedWidth`: Wolfe's method may approach W^mm in ever smaller steps
    /// for the whole time limit (QA round 12b: 600 s on 100 Sherlock contexts whose bracket was 1e-8 wide).
    public var marginRelativeWidth: Double? = nil
    /// Above this many ties the null-space cutting planes (at any k) go before the minimum-norm point,
    /// whose r × r tie Gram dominates its time there: on 50 KJV contexts with uniform-null supports
    /// (5,102 ties, d = 38 and 39) Wolfe took 8.3 and 13.4 s, the cutting planes 0.07 and 0.55 s.
    public var minNormPointPreferredTies = 2_000
    /// After a "yes" from the cutting planes or a closed form, bound γ* from above by a point of the
    /// constraint vectors' hull: `HullPointMarginBound` (1,000 Frank–Wolfe rounds) after the cutting
    /// planes, `ClosedFormMarginBracket` after a closed form (exact for H = I). `sweep` turns it off:
    /// it needs verdicts only.
    public var boundMarginAfterYes = true
    /// Most passes over the contexts of the NTP-SVM dual's block steps behind a full-rank closed form's
    /// bracket (`ClosedFormMarginBracket.fullRank`).
    public var closedFormBoundEpochs = 50
    /// Work budget of that bracket, in units of V · m · max(m, d) (about the flops of one pass, and of
    /// each product with G or H): it gets min(`closedFormBoundEpochs`, budget / unit) passes, and none
    /// (upper end ∞) below 5. 2·10¹⁰ gives 12 passes at m = 2,000, V = 203, d = 4,000 (analyze's
    /// largest Gaussian check) and skips the bound from about m = 3,100 at d = 2m.
    public var maxClosedFormBoundWork = 20_000_000_000
    /// Largest number of contexts (with nonempty support) for the null-space route's m × m SVD.
    public var maxNullSpaceContexts = 4_000
    /// Decide first by the logit-space LP over null(H̄) (`NullSpaceSeparability`) when dim null(H̄) is
    /// small (`maxNullityShare`): with few null directions it is one small LP whatever the number of ties.
    public var useNullSpaceLP = true
    /// The null-space route is taken first when k = dim null(H̄) ≤ this share of rank H̄ (its LP has V·k rows
    /// against the W-space LP's V·rank columns, and measured on 200 KJV contexts it was the faster
    /// one up to about k = rank/4 (and the only one to finish on the separable side near the threshold).
    public var maxNullityShare = 0.25
    /// Decide the null-space route by cutting planes in R^k (`decideByCuttingPlanes`) before its full
    /// LP, and at any k: measured on 200 KJV contexts it decides both sides in 0.1–30 s, where the full
    /// LP took 60–80 s near the threshold and could not be built for k > rank/4.
    public var useNullSpaceCuttingPlanes = true
    /// Largest k · Σ_j (V − k_j), the nonzeros of the null-space LP's off-support block (k = dim null H̄):
    /// the full LP is built only below it, and the cutting planes keep one depth LP per token below it
    /// (one shared depth LP above).
    public var maxNullSpaceNonzeros = 20_000_000
    /// Largest k · m' of the cutting planes' shared depth LP (used past `maxNullSpaceNonzeros`): its
    /// token solves are k × m' LPs, fast for 100 contexts (k = 70) and hopeless for 2,000 (k = 1,000,
    /// where the W-space LP keeps the time: 46 s against a 10 s limit on the Devil's Dictionary).
    public var maxSharedDepthNonzeros = 200_000
    /// The shared depth LP's form: row space (`RowSpaceDepthProblem`, r = rank H̄ free columns) or null
    /// space (`SharedDepthProblem`, k = m' − r equality rows); nil picks the smaller, row space when r ≤ k.
    /// GLPK refactorizes a token's basis at every switch, and that basis is dense in about min(r, k) columns:
    /// 100 KJV contexts over 6,244 token classes at d = 21 (r = 21, k = 79) take 6.4 s in row space, 18 s in null space.
    public var sharedDepthLPInRowSpace: Bool? = nil
    /// Constraint-generation rounds before giving up ("undecided").
    public var maxRounds = 500
    /// Nonzeros a second that GLPK works through in the W-space LP between two looks at its clock. Each
    /// simplex is given the time left minus one such stretch (nonzeros / rate), and the LP is not built
    /// unless twice that is left. Measured on 2,000 Devil's Dictionary contexts over 203 tokens at
    /// d = 1,000 (33.7 M nonzeros): about 3.5 s to build the rows, then the simplex ran 12.7 s when given
    /// about 0.5 s and 39 s when given about 26.5 s (limits 4 s and 30 s); a 10 s `--time-limit` took
    /// 25 s and a 2.8 GB peak before this bound.
    public var weightSpaceLPNonzeroRate = 2e6
    /// Largest LP (columns = V · #used features + 1) attempted exactly; larger problems are "undecided".
    public var maxColumns = 2_000_000
    /// Largest Σ_j (V − k_j) · 2 nnz(h̄_j), a bound on the nonzeros of the full margin block.
    public var maxMarginNonzeros = 2_000_000_000
    /// Wall-clock budget for all simplex calls together, seconds.
    public var timeLimit: Double = 600
    /// Iterations of the first-order fallback when the LP is not attempted or fails (0 = skip).
    public var firstOrderIterations = 300
    /// Work budget of the first-order fallback, in logit products (V · nnz(H) per iteration): it gets
    /// min(`firstOrderIterations`, budget / that) iterations, at least 1. It runs after the LP gave up,
    /// often at the time limit: 300 iterations on 2,000 Devil's Dictionary contexts (V = 203,
    /// d = 1,000) took 190 s past a 10 s `--time-limit`.
    public var maxFirstOrderWork = 2_000_000_000
    /// Seed of the first-order fallback.
    public var seed: UInt64 = 0
    /// τ: the relative tolerance every verdict is decided to. Margins, ties and Farkas residuals are
    /// measured relative to the scale √2 · max_j ‖h̄_j‖ (times ‖W‖_F for a W); see `Separability`.
    public var tolerance = 1e-9
    /// ρ₀: the relative residual a Farkas pair must reach to prove "not separable". τ-sized residuals
    /// also arise when contexts that differ by about τ have different supports: those data are
    /// separable, but only by a W with ‖W‖_F ≈ 1/‖R‖_F. An exact pair verifies to round-off (measured
    /// 0 to 6.8e-13 on QA's random instances), so a pair with ρ₀ < ρ ≤ τ is reported as at the threshold,
    /// with that norm bound. Relative to the pair's α terms (`CertificateCheck.relativeResidual`).
    public var exactResidual = 1e-12
    public init() {}
}

extension SeparabilityOptions {
    /// The most ties whose Gram the minimum-norm point may factorise in `seconds`: always
    /// `maxMinNormPointTies`; up to `largestMinNormPointTies` when the factorisation (ties³/3 flops at
    /// `tieFactorizationFlopRate`) takes at most `seconds` and the Gram (8 bytes an entry) fits the
    /// memory bound. A factorisation cannot be interrupted, so one that would overrun the time limit is
    /// not started.
    func minNormPointTieBudget(seconds: Double) -> Int {
        let memory = minNormPointMemory.map(Double.init) ?? AvailableMemory.bytes().map { Double($0) / 2 } ?? .infinity
        let byMemory = (memory / 8).squareRoot()
        let byTime = cbrt(3 * tieFactorizationFlopRate * max(0, seconds))
        let allowed = min(Double(largestMinNormPointTies), byMemory, byTime)
        return max(maxMinNormPointTies, Int(allowed))
    }
}
