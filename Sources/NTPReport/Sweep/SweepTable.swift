import NTPCore
import NTPFormats

/// The text table of a sweep result (`sweep`, and `analyze`'s terminal summary and report).
enum SweepTable {
    /// d*/m of a point, or "> cap" when it lies above the largest dimension tried.
    static func ratio(_ x: Double?, _ p: SweepPoint) -> String {
        guard let x else { return "–" }
        return p.isAboveCap(x) ? "> " + fixed(p.capRatio, 3) : fixed(x, 4)
    }

    /// The header and one line per (model, m), with each undecided trial's interval under it.
    static func rows(_ r: SweepResult) -> [String] {
        var lines = ["model".padded(16) + "m".padded(6, .right) + "trials".padded(8, .right) + "decided".padded(9, .right)
                     + "undecided".padded(11, .right) + "> cap".padded(7, .right) + "median d*/m".padded(13, .right)
                     + "   95 % CI (order statistics)"]
        for p in r.points {
            let ci = p.ciLower.map { "[\(ratio($0, p)), \(ratio(p.ciUpper, p))] (coverage \(fixed(p.coverage!, 3)))" }
                ?? "– (fewer than 6 decided trials)"
            lines.append(p.model.padded(16) + String(p.contexts).padded(6, .right) + String(p.trials).padded(8, .right)
                         + String(p.decided).padded(9, .right) + String(p.undecided).padded(11, .right)
                         + String(p.aboveCap).padded(7, .right) + ratio(p.median, p).padded(13, .right) + "   " + ci)
            for iv in p.undecidedIntervals {
                lines.append("    undecided trial: d*/m in [\(fixed(iv[0]!, 4)), \(iv[1].map { fixed($0, 4) } ?? "∞")]")
            }
        }
        return lines
    }

    /// `sweep`'s output: what was swept, the table, and the `check` command that reproduces a trial.
    static func text(_ r: SweepResult, seed: UInt64, minContextCount: Double, of total: Int) -> String {
        let spec = r.embedding == .gaussian ? "gaussian:d:SEED" : "positional-gaussian:D:SEED"
        var lines = ["\(r.embedding.rawValue) embeddings, the m \(r.contextChoice.rawValue) contexts (of \(grouped(total))"
                     + (minContextCount > 0 ? ", count ≥ \(general(minContextCount))" : "") + "), V = \(grouped(r.vocabulary)), "
                     + "\(counted(r.trialsPerPoint, "trial")) per point, null: \(r.nulls.isEmpty ? "none" : r.nulls.map(\.rawValue).joined(separator: ", "))"]
        lines += rows(r)
        lines.append("trial t at d is \(spec) with SEED = \(seed) + t: ntpsep check DATA --max-contexts m --context-choice \(r.contextChoice.rawValue) --seed \(seed) --embedding \(spec)")
        return lines.joined(separator: "\n")
    }
}
