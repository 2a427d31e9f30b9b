/// summary.json of `reproduce` (keys in `CodingKeys`, sorted in the file).
public struct ReproductionSummary: Codable, Sendable {
    /// The 2-D toy.
    public var toy: Toy
    /// The m = 50 experiment.
    public var paperM50: Paper
    enum CodingKeys: String, CodingKey { case toy, paperM50 = "paper_m50" }

    /// The first separable and compatible 2-D draw.
    public struct Toy: Codable, Sendable {
        public var seed: UInt64
        public var entropy: Double
        public var normWMM: Double
        public var normWStar: Double
        /// Rows of W^mm, columns of H, and each context's support.
        public var wMM: [[Double]]
        public var h: [[Double]]
        public var supports: [[Int]]
        enum CodingKeys: String, CodingKey {
            case seed, entropy, normWMM = "norm_wmm", normWStar = "norm_wstar", wMM = "W_mm", h = "H", supports
        }
    }

    /// The m = 50 data and the three optimizers' last log rows.
    public struct Paper: Codable, Sendable {
        public var seed: UInt64
        public var embeddingSeed: UInt64
        public var m: Int
        public var vocabulary: Int
        public var d: Int
        public var samples: Int
        public var entropy: Double
        public var normWStar: Double
        public var normWMM: Double
        public var logEvery: Int
        /// By optimizer: "gd", "ngd", "adam".
        public var runs: [String: Run]
        enum CodingKeys: String, CodingKey {
            case seed, embeddingSeed = "embedding_seed", m, vocabulary = "V", d, samples, entropy
            case normWStar = "norm_wstar", normWMM = "norm_wmm", logEvery = "log_every", runs
        }
    }

    /// One optimizer's step size, steps, CSV log and last values.
    public struct Run: Codable, Sendable {
        public var lr: Double
        public var steps: Int
        public var csv: String
        public var ce: Double
        public var gap: Double
        public var norm: Double
        public var distance: Double
        public var relativeDistance: Double
        public var cosine: Double
        public var shiftedCosine: Double
        enum CodingKeys: String, CodingKey {
            case lr, steps, csv, ce, gap = "ce_minus_entropy", norm = "norm_w", distance = "dist_pf_w_wstar"
            case relativeDistance = "rel_dist_pf_w_wstar", cosine = "cos_w_wmm", shiftedCosine = "cos_w_minus_wstar_wmm"
        }
    }
}
