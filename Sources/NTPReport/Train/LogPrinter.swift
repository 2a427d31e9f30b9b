import NTPCore

/// Prints log rows as an aligned table on standard error as they arrive.
struct LogPrinter {
    let enabled: Bool

    func print(_ r: LogRow) {
        guard enabled else { return }
        var s = "step " + String(r.step).padded(8, .right) + "  CE \(formatted("%.6f", r.ce))  CE−𝓗 \(formatted("%.3e", r.gap))  ‖W‖ \(formatted("%.4e", r.norm))"
        if let dist = r.distanceToWStar { s += "  ‖P_F W−W*‖ \(formatted("%.3e", dist))" }
        if let c1 = r.cosineMM, let c2 = r.cosineShiftedMM {
            // At W = 0 the first cosine is 0/0: say so instead of printing nan.
            func cosine(_ c: Double) -> String { c.isNaN ? "    n/a" : formatted("%.5f", c) }
            s += "  cos(W,Wmm) \(cosine(c1))  cos(W−W*,Wmm) \(cosine(c2))"
        }
        if let a = r.marginInfRatio, let b = r.marginL2Ratio {
            func ratio(_ x: Double) -> String { x.isFinite ? formatted("%+.6f", x) : "      n/a" }
            s += "  γ∞-ratio \(ratio(a))  γ2-ratio \(ratio(b))"
        }
        note(s)
    }
}
