import NTPCore
import NTPFormats

/// `check`'s text output.
enum CheckText {
    /// The report as aligned "key  value" lines, then the contexts of the certificate and of the
    /// largest excess loss, then the timings.
    static func render(_ r: CheckReport, note: String) -> String {
        var lines: [String] = []
        func row(_ k: String, _ v: String) { lines.append(k.padded(13) + " " + v) }
        func context(_ c: ReportedContext) -> String {
            let s = c.support.prefix(8).joined(separator: ", ") + (c.support.count > 8 ? ", … (\(c.support.count))" : "")
            return "\(c.text) → {\(s)}"
        }
        row("data", "m = \(grouped(r.contexts))\(note), V = \(grouped(r.vocabulary)), d = \(grouped(r.dimension)) (\(r.embedding))")
        row("entropy 𝓗", "\(fixed(r.entropy, 4)) nats")
        let c = r.certificate
        switch r.verdict {
        case "separable":
            row("separable", "yes — W ⊥ 𝓕 with every margin ≥ \(general(c.minMargin ?? 0, 6)) verified (max tie violation \(general(c.maxTieViolation ?? 0, 2)) ≤ τ·scale·‖W‖_F = \(general(c.tieBound ?? 0, 2)), τ = \(general(r.tolerance, 2)))")
        case "not-separable":
            row("separable", "no — Farkas certificate verified (relative residual \(general(c.relativeResidual ?? 0, 2)) ≤ ρ₀ = \(general(r.exactResidual, 2)), round-off; α on \(counted(r.involvedContextCount, "context", number: grouped)))")
        case "at-threshold" where c.kind == "farkas" && c.verified:
            row("separable", "at the threshold — a Farkas pair verifies to τ = \(general(r.tolerance, 2)) but not to round-off (relative residual \(general(c.relativeResidual ?? 0, 2)) > ρ₀ = \(general(r.exactResidual, 2)))")
            row("", "contexts this close may still be separable, but only by a W with ‖W‖_F ≥ \(general(c.normLowerBound ?? .infinity, 2))")
        case "at-threshold" where c.kind == "separating-W" && c.verified:
            row("separable", "at the threshold — a W ⊥ 𝓕 with every margin ≥ \(general(c.minMargin ?? 0, 6)) verifies (max tie violation \(general(c.maxTieViolation ?? 0, 2)) ≤ τ·scale·‖W‖_F = \(general(c.tieBound ?? 0, 2)), τ = \(general(r.tolerance, 2)))")
            row("", "but its normalized margin \(general(r.marginBracket?.lower ?? 0, 2)) is below 10τ·scale = \(general(10 * r.tolerance * (r.marginBracket?.scale ?? 0), 2)): separable only as far as ties hold to τ")
        case "at-threshold":
            row("separable", "at the threshold — γ* is within 10τ of 0 (τ = \(general(r.tolerance, 2))): neither yes nor no in float64")
        default:
            row("separable", "undecided — \(c.reason ?? "")")
            if let f = c.firstOrder {
                row("", "first-order (\(f.iterations) iterations\(f.projected ? ", W ⊥ 𝓕" : ", ties relaxed")): best min margin/‖W‖ \(general(f.bestNormalizedMinMargin, 3)), contexts separated \(fixed(100 * f.bestFractionSeparated, 1))%")
            }
        }
        if let b = r.marginBracket {
            // No off-support token anywhere: no margin row, γ* = ∞ at both ends (JSON: null, as ∞ has no JSON number).
            row("γ*", "∈ \(intervalText(b.lower, b.upper)) (max normalized margin, units of H; scale √2·max‖h̄_j‖ = \(general(b.scale, 4)))")
        }
        if let m = r.margin { row("margin", "\(marginText(m, r)) (\(marginMeaning(r)))") }
        if let how = c.method, !how.isEmpty { row("method", how) }
        if let lp = c.lp {
            row("LP", "\(counted(lp.columns, "column", number: grouped)), \(grouped(lp.tieRows)) tie rows, \(grouped(lp.marginRows)) of \(grouped(lp.fullMarginRows)) margin rows, \(lp.rounds) round\(lp.rounds == 1 ? "" : "s"), simplex \(fixed(lp.simplexSeconds, 2)) s")
        }
        if let comp = r.compatible {
            row("compatible", "\(comp ? "yes" : "no") (relative residual \(general(r.compatResidual ?? .nan, 3)))")
        } else if let residual = r.compatResidual {
            row("compatible", "unknown — the solve did not reach the least-squares optimum (time limit, iteration cap, or features too ill-conditioned for float64) at relative residual \(general(residual, 3)), an upper bound (raise --time-limit)")
        } else {
            row("compatible", r.compatMethod ?? "not computed (--no-compat)")
        }
        if let gap = r.entropyGap {
            row("entropy gap", "CE − 𝓗 ≤ \(general(gap, 4)) nats (\(r.entropyGapMethod ?? ""))")
            if let t = r.entropyGapTrend, t.count >= 2 {
                var pts = t.count <= 6 ? t : stride(from: 0, to: t.count, by: max(1, t.count / 5)).map { t[$0] }
                if pts.last != t.last { pts.append(t.last!) }
                row("", "trend: " + pts.map { "\($0.iteration): \(general($0.value, 3))" }.joined(separator: "  "))
            }
            if let i = r.entropyGapInterval, let b = r.entropyGapBound {
                let refined = i[1] < (r.entropyGap ?? .infinity)
                row("", "CE − 𝓗 ∈ \(intervalText(i[0], i[1])) nats (certified: lower from a feasible maximum-entropy point, upper from \(r.entropyGapMethod?.hasPrefix("W = 0") == true ? "W = 0" : "Adam's W")\(refined ? " after \(counted(b.rounds, "Newton round"))" : ""))")
                let radius = b.normRadius.map { ", for every W with ‖W‖_F ≤ \(general($0, 4))" } ?? ""
                row("", "lower end: \(b.method); moment residual \(general(b.residual, 2)) (τ = \(general(b.tolerance, 2)))\(radius), \(fixed(b.seconds, 2)) s")
            }
        } else {
            row("entropy gap", r.entropyGapMethod ?? "not computed (--gap-steps 0)")
        }
        if let c = r.separatedShareContexts, let e = r.separatedShareEvents {
            row("separated", "≥ \(fixed(100 * c, 1))% of contexts, ≥ \(fixed(100 * e, 1))% of events (lower bounds from a heuristic: \(r.separatedShareMethod ?? ""))")
        } else if let why = r.separatedShareMethod {
            row("separated", why)
        }
        if !r.involvedContexts.isEmpty {
            lines.append("contexts in the Farkas certificate (α_j, \(r.involvedContexts.count) of \(r.involvedContextCount)):")
            for x in r.involvedContexts { lines.append("  " + fixed(x.weight, 4).padded(8, .right) + "  " + context(x)) }
        }
        if !r.excessLossContexts.isEmpty {
            lines.append("contexts with the largest excess loss π̂_j (CE_j − H_j):")
            for x in r.excessLossContexts { lines.append("  " + general(x.weight, 3).padded(9, .right) + "  " + context(x)) }
        }
        for (key, text) in fileRows(r) { row(key, text) }
        let order = ["separability", "compatibility", "entropy_gap", "entropy_gap_bound", "separated_share", "max_margin", "total"]
        row("timings", order.compactMap { k in r.timings?[k].map { "\(k) \(fixed($0, 2)) s" } }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    /// The certificate files written, as (key, text) rows.
    static func fileRows(_ r: CheckReport) -> [(String, String)] {
        let check = "check it with scripts/verify_certificate.py"
        return [r.certificateFile.map { ("certificate", "wrote \($0.path) (\($0.description))") },
                r.gapCertificateFile.map { ("gap cert.", "wrote \($0) (the q behind the lower end; \(check))") },
                r.compatCertificateFile.map { ("compat cert.", "wrote \($0.path) (\(compatCertificateText($0)); \(check))") }].compactMap { $0 }
    }

    /// What a compatibility certificate file holds, in words.
    static func compatCertificateText(_ f: CompatibilityCertificateSummary) -> String {
        switch f.kind {
        case "W": return "a W within the tolerance, \(f.layout)"
        case "refutation":
            let radius = f.normRadius.map { "with ‖W‖_F ≤ \(general($0, 3))" } ?? "at all"
            return "the least-squares residual: every W \(radius) has relative residual ≥ \(general(f.lower ?? .nan, 3)), \(f.layout)"
        default: return "no certificate: verdict and residual only"
        }
    }

    /// The margin as the γ* row prints its lower end, which it is (rounded down, as many digits), so that
    /// the two rows agree; an exact γ* (both ends equal) to 4 digits.
    static func marginText(_ m: Double, _ r: CheckReport) -> String {
        guard let b = r.marginBracket, m == b.lower, b.lower != b.upper else { return general(m, 4) }
        return intervalEnds(b.lower, b.upper).lower
    }

    /// What the `margin` row is, by `CheckReport.marginKind`.
    static func marginMeaning(_ r: CheckReport) -> String {
        switch r.marginKind {
        case "max-margin" where r.timings?["max_margin"] == nil:   // no NTP-SVM solve: the closed form is exact
            let formula = r.embedding == "onehot" ? " (H = I: 1/√(Σ_j k_j (V − k_j)/V))" : " (both ends equal)"
            return "γ* exactly: the closed form's bracket is closed\(formula)"
        case "max-margin": return "1/‖W^mm‖ = min margin/‖W‖_F of the certificate's W, the verified W^mm: γ*'s lower end"
        default: return "min margin/‖W‖_F of the certificate's W: γ*'s lower end"
        }
    }
}
