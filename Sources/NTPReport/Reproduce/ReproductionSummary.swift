/// summary.json of `reproduce` (keys in `CodingKeys`, sorted by their bytes in the file like every
/// JSON output, so "V", "H" and "W_mm" come before the lowercase keys of their object).
public struct ReproductionSummary: Codable, Sendable {
    /// The 2-D toy.
    var toy: Toy
    /// The m = 50 experiment.
    var paperM50: Paper
    enum CodingKeys: String, CodingKey { case toy, paperM50 = "paper_m50" }

    /// The first separable and compatible 2-D draw.
    public struct Toy: Codable, Sendable {
        var seed: UInt64
        var entropy, normWMM, normWStar: Double
        /// W^mm (V × d, a row per token), H (d × m as everywhere, column j = h̄_j; QA round 9: it was
        /// m × d) and each context's support.
        var wMM, h: [[Double]]
        var supports: [[Int]]
        enum CodingKeys: String, CodingKey {
            case seed, entropy, normWMM = "norm_wmm", normWStar = "norm_wstar", wMM = "W_mm", h = "H", supports
        }
    }

    /// The m = 50 data and the three optimizers' last log rows.
    public struct Paper: Codable, Sendable {
        var seed, embeddingSeed: UInt64
        /// Contexts, vocabulary, embedding dimension and samples of the data.
        var m, vocabulary, d, samples: Int
        var entropy, normWStar, normWMM: Double
        var logEvery: Int
        /// By optimizer: "gd", "ngd", "adam".
        var runs: [String: Run]
        enum CodingKeys: String, CodingKey {
            case seed, embeddingSeed = "embedding_seed", m, vocabulary = "V", d, samples, entropy
            case normWStar = "norm_wstar", normWMM = "norm_wmm", logEvery = "log_every", runs
        }
    }

    /// One optimizer's step size, steps, CSV log and last values.
    public struct Run: Codable, Sendable {
        var lr: Double
        var steps: Int
        var csv: String
        /// The last logged CE, CE − 𝓗, ‖W‖, ‖P_𝓕(W) − W*‖ (absolute and relative), cos(W, W^mm) and cos(W − W*, W^mm).
        var ce, gap, norm, distance, relativeDistance, cosine, shiftedCosine: Double
        enum CodingKeys: String, CodingKey {
            case lr, steps, csv, ce, gap = "ce_minus_entropy", norm = "norm_w", distance = "dist_pf_w_wstar"
            case relativeDistance = "rel_dist_pf_w_wstar", cosine = "cos_w_wmm", shiftedCosine = "cos_w_minus_wstar_wmm"
        }
    }
}
