import NTPCore
import NTPFormats

/// Renders an `AnalysisSummary` for the terminal and as the HTML report.
enum AnalysisReport {
    static func conditionRows(_ s: AnalysisSummary) -> [[String]] {
        s.checks.map { c in
            var separable = verdict(c.separable)
            let n = c.involvedContextCount
            if c.separable == false { separable += " (α on \(counted(n, "context", number: grouped)))" }
            // A separability-only check has no compatibility residual: "–", not "undecided".
            let compatible = c.compatResidual == nil && c.compatible == nil ? "–" : verdict(c.compatible)
            return [c.embedding, grouped(c.contexts), grouped(c.vocabulary), grouped(c.dimension), separable, compatible,
                    c.compatResidual.map { general($0, 2) } ?? "–", c.entropyGap.map { general($0, 3) } ?? "–",
                    c.entropyGapInterval.map { intervalText($0[0], $0[1], 3) } ?? "–",
                    c.margin.map { (c.marginKind == "certificate-lower-bound" ? "≥ " : "") + general($0, 3) } ?? "–"]
        }
    }

    /// The condition rows with the bracket on γ* (the max normalized margin, units of H) before the
    /// margin: the HTML report's table, which has the room.
    static func conditionRowsWithBracket(_ s: AnalysisSummary) -> [[String]] {
        zip(s.checks, conditionRows(s)).map { c, row in
            let bracket = c.marginBracket.map { intervalText($0.lower, $0.upper, 3) } ?? "–"
            return Array(row.dropLast()) + [bracket, row.last!]
        }
    }

    static let conditionHeader = ["embedding", "m", "V", "d", "NTP-separable", "NTP_𝓗-compatible", "compat. residual", "CE − 𝓗 ≤ (nats)",
                                  "inf CE − 𝓗 ∈ (certified, nats)", "margin"]

    static func terminal(_ s: AnalysisSummary, directory: String) -> String {
        let st = s.statistics
        var lines: [String] = []
        lines.append("\(s.name): n = \(counted(Int(st.events), "event", number: grouped)), m = \(counted(st.contexts, "context", number: grouped)), V = \(grouped(st.vocabulary)), 𝓗 = \(fixed(st.entropy, 4)) nats/token (\(st.orderText))")
        lines.append("contexts with one next token: \(fixed(100 * st.singleSupportContextShare, 1))% (\(fixed(100 * st.singleSupportEventShare, 1))% of events)")
        lines.append("")
        lines.append("conditions on the m most frequent contexts over the V most frequent tokens (the last rows: every context, whole vocabulary):")
        let rows = conditionRows(s)
        let header = ["embedding", "m", "V", "d", "separable", "compatible", "residual", "CE−𝓗 ≤", "inf CE−𝓗 ∈", "margin"]
        var widths = header.map(\.count)
        for r in rows { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            "  " + cells.enumerated().map { i, c in c.padded(widths[i], i == 0 || i == 4 ? .left : .right) }.joined(separator: "  ")
        }
        lines.append(line(header))
        for r in rows { lines.append(line(r)) }
        if let t = s.training.first {
            lines.append("")
            lines.append("training on \(counted(t.contexts, "context")), gaussian:\(t.dimension), \(counted(t.steps, "step")):")
            for r in s.training {
                lines.append("  \(r.optimizer.padded(4))  CE−𝓗 \(general(r.gap, 3))  ‖W‖ \(general(r.norm, 3))"
                             + (r.distanceToWStar.map { "  ‖P_F(W)−W*‖ \(general($0, 3))" } ?? "")
                             + (r.cosineShiftedMM.map { "  cos(W−W*, W^mm) \(fixed($0, 3))" } ?? ""))
            }
        }
        lines.append("")
        lines.append(sweepSentence(s.sweep, wholeVocabulary: s.sweepData == AnalysisStages.wholeDataFile) + ":")
        lines += SweepTable.rows(s.sweep).map { "  " + $0 }
        let files = s.checks.compactMap(\.certificateFile)
        let ends = s.sweep.trials.reduce(0) { $0 + ($1.bracket.upper == nil ? 0 : 1) + ($1.bracket.lower > 0 ? 1 : 0) }
        if !s.certificatesWritten {
            lines.append("certificates: none written (--no-certificates); every verdict above was verified in the run")
        } else if let example = files.first(where: { $0.kind != "none" }) {
            let gaps = s.checks.filter { $0.gapCertificateFile != nil }.count
            let compat = s.checks.filter { $0.compatCertificateFile != nil }.count
            lines.append("certificates: \(directory)/certificates/ (\(counted(files.count, "check")), \(counted(gaps, "entropy-gap lower end")), \(counted(compat, "compatibility verdict")); sweep/: \(counted(ends, "file")), both ends of every trial's bracket); check one with numpy:")
            lines.append("  python3 scripts/verify_certificate.py \(directory)/\(example.path) \(directory)/\(example.data ?? "data.npz")")
        }
        lines.append("report: \(directory)/report.html  (JSON: \(directory)/analysis.json)")
        return lines.joined(separator: "\n")
    }

    /// The certificates table's rows: each check's separability file, then its entropy-gap and compatibility
    /// files (over the same rows).
    static func certificateRows(_ checks: [CheckReport]) -> [[String]] {
        func rows(_ file: (CheckReport) -> (what: String, path: String)?) -> [[String]] {
            checks.compactMap { c in file(c).map { [c.embedding, grouped(c.contexts), $0.what, $0.path, c.certificateFile?.data ?? "–"] } }
        }
        return rows { c in c.certificateFile.map { ($0.description, $0.path) } }
            + rows { c in c.gapCertificateFile.map { ("the q behind inf CE − 𝓗 ≥ \(general(c.entropyGapInterval?[0] ?? 0, 6))", $0) } }
            + rows { c in c.compatCertificateFile.map { ("compatibility: " + CheckText.compatCertificateText($0), $0.path) } }
    }

    static func html(_ s: AnalysisSummary, corpusSVG: String, trainingSVG: String, sweepSVG: String) -> String {
        let st = s.statistics
        var r = HTMLReport(title: "NTP-separability of \(s.name)",
                           subtitle: "ntpsep analyze — \(s.corpus.joined(separator: ", ")) — \(fixed(s.seconds, 1)) s")
        r.section("Corpus")
        r.facts([
            ("events n", grouped(Int(st.events))),
            ("distinct contexts m", "\(grouped(st.contexts)) (\(st.orderText))"),
            ("vocabulary V", grouped(st.vocabulary)),
            ("entropy bound 𝓗", "\(fixed(st.entropy, 4)) nats/token = \(fixed(st.entropyBits, 4)) bits/token"),
            ("mean support size", fixed(st.meanSupport, 3)),
            ("single-token supports", "\(fixed(100 * st.singleSupportContextShare, 1))% of contexts, \(fixed(100 * st.singleSupportEventShare, 1))% of events"),
        ])
        if let orders = st.orders {
            r.table(header: ["order", "contexts", "mean support", "𝓗 (nats)", "𝓗 (bits)"],
                    rows: orders.map { [String($0.order), grouped($0.contexts), fixed($0.meanSupport, 3), fixed($0.entropy, 4), fixed($0.entropyBits, 4)] },
                    numeric: [0, 1, 2, 3, 4], caption: "Conditional entropy and support size by context length")
        }
        r.figure(svg: corpusSVG, caption: "Left: the share of contexts (solid) and of events (dashed) whose next-token support has at least k tokens. Right: the conditional entropy of the next token against the context length (order − 1).")
        r.table(header: ["context", "support k", "count"],
                rows: st.largestSupports.map { [$0.context, grouped($0.support), grouped(Int($0.count))] },
                numeric: [1, 2], caption: "Contexts with the largest supports")

        r.section("The two conditions")
        r.paragraph("Checked on the m most frequent contexts over the V most frequent tokens (the others are <unk>); the rows with m = \(grouped(s.statistics.contexts)) decide every context of the corpus over its whole vocabulary, through its most frequent contexts first (a Farkas certificate on a subset holds for the whole). Separability is decided to τ = 1e-9 by the first route that applies (closed forms, forced ties, the null-space LP or its cutting planes, Wolfe's minimum-norm point, the exact LP; see the README), and its certificate — a W ⊥ 𝓕 with all margins positive, or Farkas multipliers — is re-verified from the data; the entropy gap is an upper bound from optimizing the cross-entropy. The certified interval for inf CE − 𝓗 takes its lower end from an exactly feasible point q of the maximum-entropy dual (Σ π̂_j H(q_j) − 𝓗; a positive lower end proves that the two conditions fail) and its upper end from Adam's W. The rows with the largest m decide separability alone (with its certificate and the bracket on γ*): there the compatibility solve and the entropy-gap optimizers would take minutes each.")
        r.table(header: Array(conditionHeader.dropLast()) + ["γ* ∈ (max normalized margin)", conditionHeader.last!],
                rows: conditionRowsWithBracket(s), numeric: [1, 2, 3, 6, 7, 8, 9, 10])
        if s.certificatesWritten {
            r.table(header: ["embedding", "m", "certificate", "file", "rows of"],
                    rows: certificateRows(s.checks),
                    numeric: [1], caption: "The certificate behind each verdict above, checked with numpy alone by python3 scripts/verify_certificate.py FILE DATA (a W ⊥ 𝓕 scaled to margins ≥ 1, or Farkas multipliers α, β; for compatibility, a W within the tolerance or the least-squares residual; members: README, \"Certificates anyone can check with numpy\"). Each file holds the embedding columns and the supports of its rows, so it also verifies without DATA.")
        } else {
            r.paragraph("No certificate files were written (--no-certificates): every verdict above was verified in the run, but cannot be rechecked with numpy from this folder.")
        }
        for c in s.checks where !c.involvedContexts.isEmpty {
            r.table(header: ["α_j", "context", "support"],
                    rows: c.involvedContexts.map { [general($0.weight, 3), $0.text, $0.support.prefix(10).joined(separator: " ")] },
                    numeric: [0], caption: "\(c.embedding), m = \(grouped(c.contexts)): contexts with margin weight α in the Farkas certificate (why these features cannot separate the data), found by \(c.certificate.method ?? "the LP")")
        }
        for c in s.checks.prefix(3) where !c.excessLossContexts.isEmpty {
            r.table(header: ["π̂_j (CE_j − H_j)", "context", "support"],
                    rows: c.excessLossContexts.map { [general($0.weight, 3), $0.text, $0.support.prefix(10).joined(separator: " ")] },
                    numeric: [0], caption: "\(c.embedding): contexts with the largest remaining excess loss")
        }

        if let t = s.training.first {
            r.section("Training: the implicit bias")
            r.figure(svg: trainingSVG, caption: "GD (η = 1/λ_max), normalized GD and Adam (η = 0.01) from W = 0 on \(counted(t.contexts, "context")) with gaussian:\(t.dimension) features (d > m, so both conditions hold): CE approaches 𝓗, ‖W‖ grows, P_𝓕(W) approaches W* and W − W* aligns with the NTP-SVM direction W^mm.")
            r.table(header: ["optimizer", "η", "CE − 𝓗", "‖W‖", "‖P_𝓕(W) − W*‖", "cos(W, W^mm)", "cos(W − W*, W^mm)"],
                    rows: s.training.map { [$0.optimizer, general($0.learningRate, 4), general($0.gap, 3), general($0.norm, 4),
                                             $0.distanceToWStar.map { general($0, 3) } ?? "–", $0.cosineMM.map { fixed($0, 4) } ?? "–",
                                             $0.cosineShiftedMM.map { fixed($0, 4) } ?? "–"] },
                    numeric: [1, 2, 3, 4, 5, 6], caption: "After \(counted(t.steps, "step"))")
        }

        r.section("The separability threshold d*/m")
        r.paragraph("The " + sweepSentence(s.sweep, wholeVocabulary: s.sweepData == AnalysisStages.wholeDataFile) + ". Per trial, the rows of a Gaussian H are drawn once and d uses the first d of them; bisection over d finds the smallest separable d*, proven by a verified W at d* and a verified Farkas certificate at d* − 1. A trial without both certificates is undecided and is counted on its own, never as not separable; " + (s.certificatesWritten ? "both are in certificates/sweep/MODEL-mM-tT-dD.npz (rows of \(s.sweepData); a null trial's file holds its redrawn supports and names its model, so against \(s.sweepData) only its rows are compared)." : "they were not written (--no-certificates).") + " The null models keep m, V, every support size and the counts; uniform redraws each support uniformly, frequency draws its tokens with probability ∝ their total count.")
        r.figure(svg: sweepSVG, caption: "Median d*/m over the decided trials with its 95 % order-statistic confidence interval, real supports against the null models.")
        r.table(header: ["model", "m", "trials", "decided", "undecided", "median d*/m", "95 % CI", "coverage"],
                rows: s.sweep.points.map { p in
                    [p.model, String(p.contexts), String(p.trials), String(p.decided), String(p.undecided),
                     SweepTable.ratio(p.median, p),
                     p.ciLower.map { "[\(SweepTable.ratio($0, p)), \(SweepTable.ratio(p.ciUpper, p))]" } ?? "–",
                     p.coverage.map { fixed($0, 3) } ?? "–"]
                },
                numeric: [1, 2, 3, 4, 5, 7])

        r.section("Method")
        r.paragraph("Ingest options: \(s.options)")
        let certificateFiles = s.certificatesWritten
            ? "data-checks.npz (the corpus over its most frequent tokens, whose rows the other certificates name), certificates/*.npz, certificates/sweep/*.npz, "
            : ""
        r.paragraph("Files: data.npz (scipy.sparse.load_npz; the whole corpus), \(certificateFiles)analysis.json, corpus.svg, training-*.csv, training.svg, sweep.csv (one row per trial), sweep-summary.csv, sweep.svg" + (s.certificatesWritten ? "." : "; no certificates (--no-certificates)."))
        return r.render()
    }
}

/// "d*/m on the 50 most-frequent contexts over the whole vocabulary (V = 13,746), 6 trials per model
/// (sweep's default: 20), 0 undecided".
func sweepSentence(_ r: SweepResult, wholeVocabulary: Bool) -> String {
    let m = Array(Set(r.points.map(\.contexts))).sorted().map(String.init).joined(separator: ", ")
    let undecided = r.points.reduce(0) { $0 + $1.undecided }
    let vocabulary = (wholeVocabulary ? "the whole vocabulary" : "the most frequent tokens") + " (V = \(grouped(r.vocabulary)))"
    return "separability threshold d*/m on the \(m) \(r.contextChoice.rawValue) contexts over \(vocabulary), \(counted(r.trialsPerPoint, "trial")) per model"
        + (r.trialsPerPoint < 20 ? " (sweep's default: 20)" : "") + ", \(undecided) undecided"
}
