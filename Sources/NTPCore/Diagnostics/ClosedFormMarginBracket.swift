import COpenBLAS
import NTPFormats

/// Both ends of γ* after a closed-form "yes" (theory.md §4 and §7), where the closed-form W itself
/// only gives the lower end min margin/‖W‖_F.
///
/// Upper ends come from the multiplier form of the hull (see `HullPointMarginBound`): every M (V × m)
/// whose column j sums to 0, is ≤ 0 off S_j and whose off-support entries sum to −1 gives
/// γ* ≤ ‖Σ_j M_j h̄_jᵀ‖_F.
enum ClosedFormMarginBracket {
    /// H = I: γ* = 1/√(Σ_j k_j (V − k_j)/V) exactly (both ends; nil without an off-support pair).
    ///
    /// The contexts decouple. The centred support matrix L^mm (column j: (V − k_j)/V on S_j, −k_j/V
    /// off it) has every tie 0 and every margin 1, and ‖L^mm_j‖² = n_j := k_j (V − k_j)/V, so
    /// γ* ≥ 1/√Σn. The multipliers M = L^mm/Σn have zero column sums, entries −k_j/(V Σn) ≤ 0 off the
    /// supports with total mass Σ_j n_j/Σn = 1, and ‖M‖_F = 1/√Σn, so γ* ≤ 1/√Σn.
    /// Σ_j k_j (V − k_j) is summed in integers, exactly, and γ* = √(V/Σ) rounded twice: within about one
    /// unit in the last place. The sum of the float terms k (V − k)/V was 2e-12 (relative) off over the
    /// 226,404 contexts of a whole corpus, and the closed bracket then missed γ* (QA round 14).
    static func oneHot(_ data: DataSet) -> Double? {
        let V = data.vocabularySize
        var total = 0, overflow = false
        for j in 0..<data.contextCount where !overflow {
            let k = data.supportSize(j)
            (total, overflow) = total.addingReportingOverflow(k * (V - k))
        }
        if overflow {
            // Past 2⁶³ (V near 2³¹ on many contexts): the float terms, as before.
            let total = (0..<data.contextCount).reduce(0.0) { s, j in
                let k = Double(data.supportSize(j)); return s + k * (Double(V) - k) / Double(V)
            }
            return 1 / total.squareRoot()
        }
        return total > 0 ? (Double(V) / Double(total)).squareRoot() : nil
    }

    /// Full column rank H: `epochs` passes of exact block coordinate ascent on the NTP-SVM dual in
    /// logit space (`MaxMarginSolver`'s block step, rows of G), from M = 0, in a seeded order. The
    /// last iterate M, with its anchor entries reset so that every column sums to 0 exactly and
    /// divided by its off-support mass, gives the upper end ‖M Hᵀ‖_F (computed from H, not G). Its
    /// logits L = M G with every support's entries replaced by their mean (ties exact) give, when all
    /// margins are positive, W = L G⁻¹ Hᵀ; once verified (divided by its smallest margin, so that every
    /// margin is ≥ 1, as every route's W), it is `witness`, and its min margin/‖W‖_F is the lower end.
    /// The caller keeps it as the certificate when that beats the indicator W's, so that the lower end
    /// can be re-checked from the certificate file. nil when the data set has a context without events
    /// or a zero count (the layout would differ from the supports `Separability` checks) or the iterate
    /// has no off-support mass.
    static func fullRank(_ data: DataSet, features: ContextFeatures, gram: FullRankGram, epochs: Int,
                         tolerance: Double) -> (witness: (SeparatingCertificate, CertificateCheck)?, upper: Double)? {
        guard let g = gram.gram, let layout = try? SupportLayout(data), layout.entryCount == data.columns.count else { return nil }
        let V = data.vocabularySize, m = gram.m
        var mm = [Double](repeating: 0, count: V * m), logits = mm
        ascend(&mm, logits: &logits, gram: g, layout: layout, epochs: epochs)
        guard let mass = centre(&mm, layout: layout, V: V) else { return nil }
        var x = [Double](repeating: 0, count: V * gram.d)
        // X = M Hᵀ (V × d row-major); H column-major d × m is Hᵀ row-major m × d.
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(V), Int32(gram.d), Int32(m), 1, mm, Int32(m),
                    gram.h, Int32(gram.d), 0, &x, Int32(gram.d))
        let upper = cblas_dnrm2(Int32(x.count), x, 1) / mass
        // L = M G afresh (no drift from the block steps' updates), then tied.
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(V), Int32(m), Int32(m), 1, mm, Int32(m),
                    g, Int32(m), 0, &logits, Int32(m))
        guard tie(&logits, layout: layout, V: V), let w = gram.weights(logits: logits, vocabularySize: V) else {
            return (nil, upper)
        }
        return (Separability.unitMarginCertificate(consume w, data: data, features: features, tolerance: tolerance), upper)
    }

    /// `epochs` passes of the dual's block steps over all contexts (M, L row-major V × m).
    private static func ascend(_ mm: inout [Double], logits: inout [Double], gram: [Double], layout: SupportLayout, epochs: Int) {
        let V = layout.v, m = layout.m
        let diagonal = (0..<m).map { gram[$0 * m + $0] }
        var scratch = MaxMarginSolver.BlockScratch(vocabularySize: V)
        var order = Array(0..<m)
        var rng = SeededGenerator(seed: 0)
        mm.withUnsafeMutableBufferPointer { mp in logits.withUnsafeMutableBufferPointer { lp in gram.withUnsafeBufferPointer { gp in
            for _ in 0..<epochs {
                for i in stride(from: m - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
                for j in order {
                    MaxMarginSolver.maximiseBlock(j, M: mp.baseAddress!, L: lp.baseAddress!, update: .gram(gp.baseAddress!),
                                                  gjj: diagonal[j], layout: layout, v: V, m: m, scratch: &scratch)
                }
            }
        } } }
    }

    /// Sets each column's anchor entry (its smallest support token) to minus the sum of the others, so
    /// that the column sums to 0 exactly; returns the off-support mass −Σ M_{v,j}, or nil when an
    /// off-support entry is positive or the mass is not.
    private static func centre(_ mm: inout [Double], layout: SupportLayout, V: Int) -> Double? {
        let m = layout.m
        var inSupport = [Bool](repeating: false, count: V)
        var mass = 0.0
        for j in 0..<m {
            let range = layout.rowOffsets[j]..<layout.rowOffsets[j + 1]
            let anchor = layout.columns[range.lowerBound]
            for e in range { inSupport[layout.columns[e]] = true }
            var others = 0.0, positive = false
            for t in 0..<V where t != anchor {
                let x = mm[t * m + j]
                if !inSupport[t] { positive = positive || x > 0; mass -= x }
                others += x
            }
            for e in range { inSupport[layout.columns[e]] = false }
            if positive { return nil }
            mm[anchor * m + j] = -others
        }
        return mass > 0 ? mass : nil
    }

    /// Replaces every context's support logits by their mean; false unless every margin
    /// (mean − off-support logit) is then positive.
    private static func tie(_ logits: inout [Double], layout: SupportLayout, V: Int) -> Bool {
        let m = layout.m
        var inSupport = [Bool](repeating: false, count: V)
        var separated = true
        for j in 0..<m {
            let range = layout.rowOffsets[j]..<layout.rowOffsets[j + 1]
            var mean = 0.0
            for e in range { mean += logits[layout.columns[e] * m + j] }
            mean /= Double(range.count)
            for e in range { logits[layout.columns[e] * m + j] = mean; inSupport[layout.columns[e]] = true }
            for t in 0..<V where !inSupport[t] { separated = separated && mean - logits[t * m + j] > 0 }
            for e in range { inSupport[layout.columns[e]] = false }
        }
        return separated
    }
}
