import Foundation
import NTPFormats

/// Synthetic NTP data in the style of the paper's App. A: m contexts over a vocabulary of V
/// tokens, each with a random support S_j of size k_j and random next-token probabilities.
///
/// Sampling, in this order, from one `SeededGenerator(seed: seed)`:
/// 1. for j = 0..<m: k_j (fixed, or uniform on lo...hi); S_j = the first k_j entries of a
///    partial Fisher–Yates shuffle of 0..<V (stored sorted); p_j on S_j ~ Dirichlet(α)
///    (normalised Gamma(α) draws, Marsaglia–Tsang) or uniform(0,1) draws normalised.
/// 2. counts: if `samples` = n is given, n i.i.d. pairs: context j uniform on 0..<m, then the
///    next token z ~ p_j; the count matrix holds how often each pair occurred, so supports and
///    probabilities are the empirical ones (a token never drawn is not in the support) and
///    contexts never drawn are dropped (recorded as `dropped_contexts`). If `samples` is nil
///    the counts are the exact probabilities (each row sums to 1): π̂ uniform, p̂ = p exactly.
///
/// Everything that determines the output is recorded in `optionsJSON`.
public struct SyntheticSpec: Sendable, Equatable {
    /// How support sizes are drawn.
    public enum SupportSize: Sendable, Equatable, CustomStringConvertible {
        case fixed(Int)
        case uniform(Int, Int)
        /// Parses `K` or `uniform:LO-HI`.
        public init(parsing text: String) throws {
            if let k = Int(text), k > 0 { self = .fixed(k); return }
            let p = text.split(separator: ":")
            if p.count == 2, p[0] == "uniform" {
                let r = p[1].split(separator: "-")
                if r.count == 2, let lo = Int(r[0]), let hi = Int(r[1]), lo > 0, lo <= hi { self = .uniform(lo, hi); return }
            }
            throw SyntheticError.invalid("support '\(text)': expected K or uniform:LO-HI with 0 < LO ≤ HI")
        }
        public var description: String {
            switch self { case .fixed(let k): return "\(k)"; case .uniform(let a, let b): return "uniform:\(a)-\(b)" }
        }
        var maximum: Int { switch self { case .fixed(let k): return k; case .uniform(_, let b): return b } }
    }
    /// How next-token probabilities on a support are drawn.
    public enum Probabilities: Sendable, Equatable, CustomStringConvertible {
        case dirichlet(Double)
        case uniformNormalized
        /// Parses `dirichlet[:ALPHA]` (default α = 1) or `uniform`.
        public init(parsing text: String) throws {
            if text == "uniform" { self = .uniformNormalized; return }
            if text == "dirichlet" { self = .dirichlet(1); return }
            if text.hasPrefix("dirichlet:"), let a = Double(text.dropFirst(10)), a > 0, a.isFinite { self = .dirichlet(a); return }
            throw SyntheticError.invalid("probabilities '\(text)': expected dirichlet[:ALPHA] (ALPHA > 0) or uniform")
        }
        public var description: String {
            switch self { case .dirichlet(let a): return "dirichlet:\(a)"; case .uniformNormalized: return "uniform" }
        }
    }

    /// Number of contexts m.
    public var contexts: Int
    /// Vocabulary size V.
    public var vocabulary: Int
    /// Support sizes k_j.
    public var support: SupportSize
    /// Next-token distributions.
    public var probabilities: Probabilities
    /// Number of sampled (context, token) pairs n; nil = exact probabilities as counts.
    public var samples: Int?
    /// Seed of all draws.
    public var seed: UInt64

    /// Creates a spec.
    public init(contexts: Int, vocabulary: Int, support: SupportSize, probabilities: Probabilities = .dirichlet(1),
                samples: Int? = nil, seed: UInt64 = 0) {
        self.contexts = contexts; self.vocabulary = vocabulary; self.support = support
        self.probabilities = probabilities; self.samples = samples; self.seed = seed
    }
}

/// Generators for synthetic data and embeddings.
public enum SyntheticData {
    /// Draws the data set described by `spec` (see `SyntheticSpec` for the exact procedure).
    public static func generate(_ spec: SyntheticSpec) throws -> DataSet {
        let m = spec.contexts, v = spec.vocabulary
        guard m > 0, v > 1 else { throw SyntheticError.invalid("need at least 1 context and 2 tokens") }
        guard spec.support.maximum <= v else { throw SyntheticError.invalid("support size \(spec.support.maximum) exceeds the vocabulary \(v)") }
        if let n = spec.samples, n <= 0 { throw SyntheticError.invalid("samples must be positive") }
        guard v <= Int(Int32.max) + 1 else { throw SyntheticError.invalid("vocabulary \(v) exceeds the supported 2^31 tokens") }
        // Per context: support, probabilities, counts and the CSR entry (36 bytes per token) plus
        // array headers; per token: the permutation and its name.
        try AvailableMemory.require(approximately: Double(m) * (36 * Double(spec.support.maximum) + 112) + 48 * Double(v),
                                    for: "synth with \(m) contexts, V = \(v), support up to \(spec.support.maximum)",
                                    advice: "use fewer --contexts or a smaller --vocab/--support")
        var rng = SeededGenerator(seed: spec.seed)
        var supports = [[Int]](), probs = [[Double]]()
        var perm = Array(0..<v)
        for _ in 0..<m {
            let k: Int
            switch spec.support {
            case .fixed(let kk): k = kk
            case .uniform(let lo, let hi): k = lo + uniformInt(hi - lo + 1, &rng)
            }
            for i in 0..<k { perm.swapAt(i, i + uniformInt(v - i, &rng)) }
            let s = perm[0..<k].sorted()
            var p = [Double](repeating: 0, count: k)
            switch spec.probabilities {
            case .dirichlet(let a) where a < 1:
                // Gamma(a) draws below a = 1 are Gamma(a + 1)·U^{1/a}, which underflows to 0 for small a
                // (QA: α = 1e-10 gave uniform rows). Drawn as logarithms and scaled by the largest, with the
                // smallest normal double as a floor, so every support token keeps a positive probability.
                let logs = (0..<k).map { _ in log(gamma(a + 1, &rng)) + log(1 - rng.nextUniform()) / a }   // 1 − U ∈ (0, 1]
                let top = logs.max() ?? 0
                for i in 0..<k { p[i] = max(exp(logs[i] - top), Double.leastNormalMagnitude) }
            case .dirichlet(let a): for i in 0..<k { p[i] = gamma(a, &rng) }
            case .uniformNormalized: for i in 0..<k { p[i] = rng.nextUniform() }
            }
            var t = p.reduce(0, +)
            if t <= 0 { p = [Double](repeating: 1, count: k); t = Double(k) }   // all-zero draw: fall back to uniform
            // The floor again after normalising: a floored entry over t > 1 was subnormal (QA round 21: 44 of 1,000
            // values below 2.2e-308 at dirichlet:0.001).
            supports.append(s); probs.append(p.map { max($0 / t, .leastNormalMagnitude) })
        }
        var counts = [[Double]]()
        if let n = spec.samples {
            counts = probs.map { [Double](repeating: 0, count: $0.count) }
            for _ in 0..<n {
                let j = uniformInt(m, &rng)
                let u = rng.nextUniform()
                var acc = 0.0, z = probs[j].count - 1
                for i in 0..<probs[j].count { acc += probs[j][i]; if u < acc { z = i; break } }
                counts[j][z] += 1
            }
        } else {
            counts = probs
        }
        var offs = [0], cols = [Int32](), vals = [Double](), dropped = 0
        for j in 0..<m {
            let start = cols.count
            for i in 0..<supports[j].count where counts[j][i] > 0 {
                cols.append(Int32(supports[j][i])); vals.append(counts[j][i])
            }
            if cols.count == start { dropped += 1; continue }
            offs.append(cols.count)
        }
        var opts: [String: Any] = [
            "generator": "synthetic", "contexts": m, "vocab": v, "support": spec.support.description,
            "probabilities": spec.probabilities.description, "seed": spec.seed,
            "context_sampling": "uniform", "dropped_contexts": dropped,
        ]
        opts["samples"] = spec.samples.map { $0 as Any } ?? NSNull()
        let json = String(decoding: try JSONSerialization.data(withJSONObject: opts, options: [.sortedKeys]), as: UTF8.self)
        return DataSet(contextCount: offs.count - 1, vocabularySize: v, rowOffsets: offs, columns: cols, counts: vals,
                       vocabulary: (0..<v).map { "t\($0)" }, optionsJSON: json)
    }

    /// A d × m matrix with i.i.d. N(0, scale²) entries drawn column by column from
    /// `SeededGenerator(seed: seed)` (the paper uses scale 1), as dense context features.
    public static func gaussianEmbeddings(dimension d: Int, contexts m: Int, scale: Double, seed: UInt64) -> ContextFeatures {
        var rng = SeededGenerator(seed: seed)
        var h = [Double](repeating: 0, count: d * m)
        for i in 0..<(d * m) { h[i] = rng.nextGaussian() * scale }
        return ContextFeatures(dimension: d, contextCount: m, storage: .dense(h))
    }

    /// Adds the embedding parameters to a data set's options JSON (keys `embedding_dim`,
    /// `embedding_scale`, `embedding_seed`), keeping the other keys.
    public static func recordEmbedding(in data: inout DataSet, dimension: Int, scale: Double, seed: UInt64) throws {
        var obj: [String: Any] = [:]
        if let s = data.optionsJSON, let o = try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any] { obj = o }
        obj["embedding_dim"] = dimension; obj["embedding_scale"] = scale; obj["embedding_seed"] = seed
        data.optionsJSON = String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Unbiased-enough uniform integer in 0..<n via the high word of a 64×64 product (exact for
    /// the small n used here up to a 2⁻⁶⁴·n bias), independent of the standard library's algorithm.
    static func uniformInt(_ n: Int, _ rng: inout SeededGenerator) -> Int {
        Int(rng.next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Gamma(a, 1) by Marsaglia–Tsang; a < 1 through Gamma(a + 1)·U^{1/a}.
    static func gamma(_ a: Double, _ rng: inout SeededGenerator) -> Double {
        if a < 1 {
            let g = gamma(a + 1, &rng)
            return g * pow(rng.nextUniform(), 1 / a)
        }
        let d = a - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            let x = rng.nextGaussian()
            let t = 1 + c * x
            if t <= 0 { continue }
            let v = t * t * t, u = rng.nextUniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}

/// A malformed synthetic-data request.
public enum SyntheticError: Error, CustomStringConvertible {
    case invalid(String)
    public var description: String { switch self { case .invalid(let s): return s } }
}
