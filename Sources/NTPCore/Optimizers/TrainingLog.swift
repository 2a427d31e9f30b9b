import Foundation

/// One logged point of a training run.
public struct LogRow: Sendable, Equatable, Codable {
    /// Number of updates applied before this point.
    public var step: Int
    /// CE(W_k) over the full data.
    public var ce: Double
    /// CE(W_k) − 𝓗 (> 0).
    public var gap: Double
    /// ‖W_k‖_F.
    public var norm: Double
    /// ‖P_𝓕(W_k) − W*‖_F (with a reference).
    public var distanceToWStar: Double?
    /// cos(W_k, W^mm) (with a reference).
    public var cosineMM: Double?
    /// cos(W_k − W*, W^mm) (with a reference).
    public var cosineShiftedMM: Double?
    /// min margin of W^⊥ / ‖W^⊥‖_max / γ*_∞ (W^⊥ = W − P_𝓕(W); with a reference that has γ*_∞, see `MarginGeometry`).
    public var marginInfRatio: Double?
    /// min margin of W^⊥ / ‖W^⊥‖_F / γ* (with a reference that has W^mm and γ*_∞).
    public var marginL2Ratio: Double?

    /// A row; reference columns default to absent.
    public init(step: Int, ce: Double, gap: Double, norm: Double, distanceToWStar: Double? = nil,
                cosineMM: Double? = nil, cosineShiftedMM: Double? = nil) {
        self.step = step; self.ce = ce; self.gap = gap; self.norm = norm
        self.distanceToWStar = distanceToWStar; self.cosineMM = cosineMM; self.cosineShiftedMM = cosineShiftedMM
    }
}

/// JSON of a row (checkpoints): a non-finite value (cos(W, W^mm) at W = 0 is 0/0) is written as
/// null, which JSON can hold and JSONEncoder does not refuse; an absent reference column is
/// omitted. Reading maps null back to NaN.
extension LogRow {
    private enum CodingKeys: String, CodingKey {
        case step, ce, gap, norm, distanceToWStar, cosineMM, cosineShiftedMM, marginInfRatio, marginL2Ratio
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(step, forKey: .step)
        let values: [(CodingKeys, Double?)] = [(.ce, ce), (.gap, gap), (.norm, norm), (.distanceToWStar, distanceToWStar),
                                               (.cosineMM, cosineMM), (.cosineShiftedMM, cosineShiftedMM),
                                               (.marginInfRatio, marginInfRatio), (.marginL2Ratio, marginL2Ratio)]
        for (key, value) in values {
            guard let value else { continue }
            if value.isFinite { try c.encode(value, forKey: key) } else { try c.encodeNil(forKey: key) }
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys) throws -> Double? {
            guard c.contains(key) else { return nil }
            return try c.decodeNil(forKey: key) ? .nan : c.decode(Double.self, forKey: key)
        }
        self.init(step: try c.decode(Int.self, forKey: .step), ce: try value(.ce) ?? .nan, gap: try value(.gap) ?? .nan,
                  norm: try value(.norm) ?? .nan, distanceToWStar: try value(.distanceToWStar),
                  cosineMM: try value(.cosineMM), cosineShiftedMM: try value(.cosineShiftedMM))
        marginInfRatio = try value(.marginInfRatio)
        marginL2Ratio = try value(.marginL2Ratio)
    }
}

/// The limits GD selects (theory.md §3), supplied by the theory solvers, for the alignment columns.
public struct TrainingReference {
    /// W*, V × d row-major.
    public var wStar: [Double]
    /// W^mm, V × d row-major; empty when there is no direction to compare with (data not
    /// NTP-separable, or W^mm not solved): then only ‖P_𝓕(W) − W*‖ is logged.
    public var wMM: [Double]
    /// W ↦ P_𝓕(W) (V × d row-major in and out).
    public var projectOntoF: ([Double]) -> [Double]
    /// γ*_∞, γ* and the supports for the margin-ratio columns (nil: not logged).
    public var margins: MarginGeometry?

    /// A reference from the solvers' outputs (`wMM` empty: no direction columns).
    public init(wStar: [Double], wMM: [Double], projectOntoF: @escaping ([Double]) -> [Double]) {
        self.wStar = wStar; self.wMM = wMM; self.projectOntoF = projectOntoF
    }

    /// True when W^mm is present (the cosine columns are logged).
    public var hasDirection: Bool { !wMM.isEmpty }

    /// The reference of a solved data subspace: W* and (if given) W^mm with P_𝓕 = `subspace.project`.
    /// The closure keeps the subspace (its CG warm start makes consecutive projections cheap).
    public init(wStar: [Double], wMM: [Double]?, subspace: DataSubspace) {
        self.init(wStar: wStar, wMM: wMM ?? []) { subspace.project($0) }
    }

    /// Closed forms for one-hot contexts (HᵀH = I, theory.md §4): W* column j = centred log p̂_j
    /// on S_j, W^mm column j = 1 on S_j minus k_j/V, and P_𝓕 centres each column on its support.
    /// W is V × m here. Only for moderate V · m (it is dense); the streaming trainer uses the
    /// same formulas column by column.
    public static func onehot(_ loss: NTPLoss) -> TrainingReference {
        let v = loss.vocabularySize, m = loss.contextCount
        var ws = [Double](repeating: 0, count: v * m), wm = ws
        var cs = [Double](repeating: 0, count: v), cm = cs
        for j in 0..<m {
            cs.withUnsafeMutableBufferPointer { a in
                cm.withUnsafeMutableBufferPointer { b in
                    OnehotColumns.reference(loss, context: j, wStar: a.baseAddress!, wMM: b.baseAddress!)
                }
            }
            for t in 0..<v { ws[t * m + j] = cs[t]; wm[t * m + j] = cm[t] }
        }
        let offsets = loss.rowOffsets, tokens = loss.supportTokens
        return TrainingReference(wStar: ws, wMM: wm) { w in
            var p = [Double](repeating: 0, count: w.count)
            for j in 0..<m {
                let lo = offsets[j], hi = offsets[j + 1]
                var mean = 0.0
                for e in lo..<hi { mean += w[Int(tokens[e]) * m + j] }
                mean /= Double(hi - lo)
                for e in lo..<hi { p[Int(tokens[e]) * m + j] = w[Int(tokens[e]) * m + j] - mean }
            }
            return p
        }
    }
}

/// Per-column closed forms shared by the dense reference and the streaming trainer.
enum OnehotColumns {
    /// Writes column j of W* and of W^mm (V entries each).
    static func reference(_ loss: NTPLoss, context j: Int, wStar: UnsafeMutablePointer<Double>, wMM: UnsafeMutablePointer<Double>) {
        let v = loss.vocabularySize
        let lo = loss.rowOffsets[j], hi = loss.rowOffsets[j + 1]
        let k = Double(hi - lo)
        var meanLog = 0.0
        for e in lo..<hi { meanLog += log(loss.targetProbabilities[e]) }
        meanLog /= k
        for a in 0..<v { wStar[a] = 0; wMM[a] = -k / Double(v) }
        for e in lo..<hi {
            let z = Int(loss.supportTokens[e])
            wStar[z] = log(loss.targetProbabilities[e]) - meanLog
            wMM[z] = 1 - k / Double(v)
        }
    }
}

/// A sum of squares kept as scale² · sum (LAPACK's dlassq), so a norm of finite entries is finite:
/// ‖W‖² overflowed to inf while W's entries were at most 5.75e298 (QA round 9). Below overflow the
/// scale stays 1 and every operation is the plain sum's, so logs keep their bytes.
struct ScaledSquares {
    private(set) var scale = 1.0, sum = 0.0

    /// The sum of squares of `count` entries at `x` (`plain`: their plain sum of squares, used when finite).
    init(_ x: UnsafePointer<Double>, count: Int, plain: Double) {
        if plain.isFinite { sum = plain; return }
        for i in 0..<count { add(x[i]) }
    }

    init() {}

    /// Adds x².
    @inline(__always)
    mutating func add(_ x: Double) {
        if scale == 1, (sum + x * x).isFinite { sum += x * x; return }
        let a = abs(x)
        if a > scale {
            let r = scale / a
            sum = sum * r * r + 1
            scale = a
        } else if a > 0 || a.isNaN {
            let r = a / scale
            sum += r * r
        }
    }

    /// Adds another sum (in order, as `+=` would).
    mutating func add(_ o: ScaledSquares) {
        if o.scale == scale { sum += o.sum; return }
        if o.scale > scale {
            let r = scale / o.scale
            sum = sum * r * r + o.sum
            scale = o.scale
        } else {
            let r = o.scale / scale
            sum += o.sum * r * r
        }
    }

    /// √(sum of squares), finite unless it exceeds the largest double.
    var root: Double { scale * sum.squareRoot() }
}

/// Sums that determine a log row; every one decomposes over contexts (so the streaming one-hot
/// trainer can accumulate them block by block).
struct LogSums {
    var ce = 0.0, wDotMM = 0.0, wDotStar = 0.0
    /// ‖W‖² and ‖P_𝓕(W) − W*‖².
    var w2 = ScaledSquares(), proj2 = ScaledSquares()
    /// `mm2` nil: no cosine columns; `distance` (default: `mm2 != nil`) adds ‖P_𝓕(W) − W*‖.
    func row(step: Int, entropy: Double, mm2: Double?, star2: Double, starDotMM: Double, distance: Bool? = nil) -> LogRow {
        let norm = w2.root
        var r = LogRow(step: step, ce: ce, gap: ce - entropy, norm: norm)
        if distance ?? (mm2 != nil) { r.distanceToWStar = proj2.root }
        if let mm2 {
            let mmNorm = mm2.squareRoot()
            r.cosineMM = wDotMM / (norm * mmNorm)
            // ‖W − W*‖ = ‖W‖·√(1 − 2⟨W, W*⟩/‖W‖² + ‖W*‖²/‖W‖²) when ‖W‖² itself would overflow.
            let shift = w2.scale == 1
                ? max(0, w2.sum - 2 * wDotStar + star2).squareRoot()
                : norm * max(0, 1 - 2 * (wDotStar / norm) / norm + (star2 / norm) / norm).squareRoot()
            r.cosineShiftedMM = (wDotMM - starDotMM) / (shift * mmNorm)
        }
        return r
    }
}

/// CSV and JSON renderings of a log (deterministic bytes: fixed column order, `%.12e`).
public enum TrainingLogFormat {
    /// The CSV header row.
    public static let csvHeader = "step,ce,ce_minus_entropy,norm_w,dist_pf_w_wstar,cos_w_wmm,cos_w_minus_wstar_wmm,margin_inf_ratio,margin_l2_ratio"

    static func number(_ x: Double?) -> String {
        guard let x else { return "" }
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return String(format: "%.12e", x)
    }

    /// Header plus one line per row; absent reference columns are empty cells.
    public static func csv(_ rows: [LogRow]) -> String {
        var s = csvHeader + "\n"
        for r in rows {
            s += "\(r.step),\(number(r.ce)),\(number(r.gap)),\(number(r.norm)),\(number(r.distanceToWStar)),\(number(r.cosineMM)),\(number(r.cosineShiftedMM)),\(number(r.marginInfRatio)),\(number(r.marginL2Ratio))\n"
        }
        return s
    }

    /// `{"entropy":…,"meta":{…},"rows":[…]}`; `meta` values are written as given (already JSON).
    public static func json(_ rows: [LogRow], entropy: Double, meta: [(String, String)] = []) -> String {
        func j(_ x: Double?) -> String {
            guard let x, x.isFinite else { return "null" }
            return String(format: "%.12e", x)
        }
        var s = "{\"entropy\":\(j(entropy)),\"meta\":{"
        s += meta.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
        s += "},\"rows\":["
        s += rows.map { r in
            "{\"step\":\(r.step),\"ce\":\(j(r.ce)),\"ce_minus_entropy\":\(j(r.gap)),\"norm_w\":\(j(r.norm)),\"dist_pf_w_wstar\":\(j(r.distanceToWStar)),\"cos_w_wmm\":\(j(r.cosineMM)),\"cos_w_minus_wstar_wmm\":\(j(r.cosineShiftedMM)),\"margin_inf_ratio\":\(j(r.marginInfRatio)),\"margin_l2_ratio\":\(j(r.marginL2Ratio))}"
        }.joined(separator: ",")
        return s + "]}\n"
    }
}
