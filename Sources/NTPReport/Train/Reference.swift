import Foundation
import NTPCore
import NTPFormats

/// `--reference auto|none|SOL.npz`: where the limits W* and W^mm of the alignment columns come from.
enum ReferenceMode: Equatable {
    /// Closed forms for one-hot contexts; otherwise solve W* (and W^mm when separable) if small enough.
    case auto
    /// No alignment columns.
    case none
    /// W_star / W_mm from a file written by `ntpsep solve`.
    case file(String)

    init(parsing text: String) {
        switch text {
        case "auto": self = .auto
        case "none": self = .none
        default: self = .file(text)
        }
    }

    /// True for `.file`.
    var isFile: Bool { if case .file = self { return true } else { return false } }

    /// Largest V·max(d, m) that `auto` solves in-process (W, the solver's V × m multipliers and
    /// logits); m must also be ≤ `DataSubspace.defaultGramLimit` (the NTP-SVM needs G = HᵀH).
    static let autoLimit = 5_000_000
}

/// A reference plus one line saying what was done.
struct ResolvedReference {
    var reference: TrainingReference?
    var summary: String
}

/// Solves W* (always) and W^mm (kept when the NTP-SVM reports `separable`) for `data` under
/// `features`, as `ntpsep solve` does, with P_𝓕 = `DataSubspace.project` for the trainer. With
/// `linfTimeLimit` (seconds; nil: skipped), also γ*_∞, an LP, for the margin-ratio columns.
func solveReference(data: DataSet, features: ContextFeatures, linfTimeLimit: Double? = 60) throws -> ResolvedReference {
    let clock = Stopwatch()
    let subspace = try DataSubspace(data: data, features: features)
    let star = subspace.solveFinitePart()
    let mm = try maxMargin(MaxMarginSolver(), subspace) { Separability.maxMarginByMinNormPoint(data, features: features) }
    var text = "W* (residual \(general(star.relativeResidual, 2)), \(star.isCompatible ? "compatible" : "NOT compatible"))"
    let wMM: [Double]?
    if mm.hasNoMarginConstraint {
        wMM = nil
        text += "; no context has an off-support token, so W^mm = 0 (nothing diverges): cosine columns omitted"
    } else if mm.status == .separable {
        wMM = mm.weights
        text += " and W^mm (‖W^mm‖ = \(general(mm.normSquared.squareRoot(), 6)))"
    } else {
        wMM = nil
        text += "; NTP-SVM \(mm.status.rawValue) after \(mm.epochs) epochs, so no W^mm: cosine columns omitted"
    }
    var reference = TrainingReference(wStar: star.weights, wMM: wMM, subspace: subspace)
    if let wMM {
        // margin_inf_ratio needs γ*_∞ too (theory.md §7), an LP, cheap at these sizes; without it (analyze)
        // that column is NaN and margin_l2_ratio is still logged (QA round 11: both cells were empty).
        var gammaInf = Double.nan
        if let linfTimeLimit {
            let inf = MaxNormMarginSolver(timeLimit: linfTimeLimit).solve(data, features: features)
            text += "; " + inf.summary
            gammaInf = inf.gamma
        }
        reference.margins = MarginGeometry(data: data, features: features, gammaInf: gammaInf, gamma2: 1 / frobenius(wMM))
    }
    return ResolvedReference(reference: reference, summary: text + " in \(clock.elapsedText)")
}

/// Reads `W_star` and `W_mm` (V × d) from a `ntpsep solve` output and checks them against the
/// run: same data (`data_fingerprint`, when stored), same shapes and, when the file stores H, the
/// same context features (to 1e-12 relative).
/// W_mm is used only when the file says `separable`.
/// `dataPath` and `embedding` (the run's DATA and --embedding, as given) name them in refusals.
func loadReference(path: String, data: DataSet, features: ContextFeatures, dataPath: String, embedding: String) throws -> ResolvedReference {
    let members: [String: NPYArray]
    do {
        members = try NPZArchive.read(path: path)
    } catch { throw UserError("--reference \(path): \(error)") }
    // A data set's format version is not a solution's: said so before the version check (QA round 9:
    // "solution format version 2 is newer than this ntpsep reads").
    if members["W_star"] == nil, members["format"] != nil, members["shape"] != nil {
        throw UserError("--reference \(path) is a data set, not a solution from `ntpsep solve`; pass the SOL.npz of `ntpsep solve \(dataPath) --embedding \(embedding) -o SOL.npz`")
    }
    do {
        try FormatVersion.check(npz: members, newest: SolutionFile.formatVersion, kind: "solution", path: path)
    } catch { throw UserError("--reference \(path): \(error)") }
    try checkDataFingerprint(members, path: path, data: data, dataPath: dataPath)
    let v = data.vocabularySize, d = features.dimension, m = data.contextCount
    func matrix(_ name: String) throws -> [Double] {
        guard let a = members[name] else { throw UserError("--reference \(path): no \(name) (expected a file written by `ntpsep solve`)") }
        guard a.shape == [v, d] else {
            throw UserError("--reference \(path): \(name) has shape \(a.shape) but DATA/--embedding give V × d = [\(v), \(d)]")
        }
        return try a.doubles()
    }
    let wStar = try matrix("W_star")
    let wMM = try matrix("W_mm")
    if let h = members["H"] {
        guard h.shape == [d, m] else { throw UserError("--reference \(path): H has shape \(h.shape), the run's is [\(d), \(m)]") }
        let stored = try h.doubles()                 // C order: (i, j) at i·m + j
        let ours = features.denseMatrix()            // column-major: (i, j) at j·d + i
        var diff = 0.0, norm = 0.0
        for i in 0..<d { for j in 0..<m { let a = ours[j * d + i]; diff = max(diff, abs(stored[i * m + j] - a)); norm = max(norm, abs(a)) } }
        guard diff <= 1e-12 * max(norm, 1) else {
            throw UserError("--reference \(path): its H differs from the run's context features (max |ΔH| = \(general(diff, 3))); solve with the same --embedding")
        }
    }
    let separable = (try? members["separable"]?.int64s())?.first
    let status = (try? members["status"]?.strings())?.first
    let subspace = try DataSubspace(data: data, features: features)
    var text = "W*"
    var direction: [Double]? = wMM
    if separable == 1 {
        text += " and W^mm"
    } else {
        direction = nil
        // Files before `status` hold only `separable`; an undecided solve is not a "not separable" one (QA round 16).
        let verdict = status == "undecided" ? "W^mm undecided" : "not separable"
        text += " (the file says \(verdict): no W^mm, cosine columns omitted)"
    }
    var reference = TrainingReference(wStar: wStar, wMM: direction, subspace: subspace)
    var gammaText = ""
    if let direction {
        // γ*_∞ as `ntpsep solve` stored it (NaN or absent in older files: the ℓ∞ ratio is NaN).
        let gammaInf = (try? members["gamma_inf"]?.doubles())?.first ?? .nan
        gammaText = gammaInf.isFinite ? "; γ*_∞ = \(general(gammaInf, 10)) from the file" : "; no γ*_∞ in the file: margin_inf_ratio is NaN"
        reference.margins = MarginGeometry(data: data, features: features, gammaInf: gammaInf, gamma2: 1 / frobenius(direction))
    }
    return ResolvedReference(reference: reference, summary: text + " from \(path)" + gammaText)
}

/// Refuses a solution whose stored `data_fingerprint` is not `data`'s: W* and W^mm of other data
/// with the same V, d (and H) made every alignment column wrong without a word (QA round 9).
/// Files from before the fingerprint have none and are taken on their shapes and H alone.
private func checkDataFingerprint(_ members: [String: NPYArray], path: String, data: DataSet, dataPath: String) throws {
    guard let stored = members["data_fingerprint"] else { return }
    guard stored.count == 1, let value = (try? stored.int64s())?.first else {
        throw UserError("--reference \(path): 'data_fingerprint' must be one int64, found \(stored.descr) of shape \(stored.shape); solve again with `ntpsep solve`")
    }
    let ours = data.fingerprint
    guard UInt64(bitPattern: value) == ours else {
        let solved = (try? members["options"]?.strings().first).flatMap { SolutionOptionsData.data(in: $0) }
        throw UserError("--reference \(path) is a solution of other data (\(solved.map { "solved on \($0), " } ?? "")fingerprint \(hex(UInt64(bitPattern: value)))) than \(dataPath) (fingerprint \(hex(ours))); solve \(dataPath) with `ntpsep solve` and pass that solution")
    }
}

/// The `data` key of a solution's `options` JSON (the path `solve` was given).
private struct SolutionOptionsData: Decodable {
    var data: String
    static func data(in json: String) -> String? {
        (try? JSONDecoder().decode(SolutionOptionsData.self, from: Data(json.utf8)))?.data
    }
}

extension TrainingRun {
    /// The reference `mode` asks for (see `train`'s help for `auto`'s limits).
    func resolveReference(_ mode: ReferenceMode, data: DataSet, features: ContextFeatures, loss: NTPLoss?,
                          onehot: Bool) throws -> ResolvedReference {
        switch mode {
        case .none:
            return ResolvedReference(reference: nil, summary: "none")
        case .file(let path):
            return try loadReference(path: path, data: data, features: features, dataPath: self.data, embedding: embedding)
        case .auto:
            let v = data.vocabularySize, d = features.dimension, m = data.contextCount
            if onehot, let loss {
                var reference = TrainingReference.onehot(loss)
                reference.margins = onehotMargins(data: data, features: features, wMM: reference.wMM)
                return ResolvedReference(reference: reference, summary: "one-hot closed forms of W*, W^mm and γ*_∞ = 2")
            }
            guard v * max(d, m) <= ReferenceMode.autoLimit, m <= DataSubspace.defaultGramLimit else {
                return ResolvedReference(reference: nil, summary: "none (V·max(d, m) = \(grouped(v * max(d, m))), m = \(grouped(m)): over the auto limit V·max(d, m) ≤ \(grouped(ReferenceMode.autoLimit)), m ≤ \(grouped(DataSubspace.defaultGramLimit)); run `ntpsep solve` and pass --reference SOL.npz)")
            }
            return try solveReference(data: data, features: features, linfTimeLimit: linfTimeLimit)
        }
    }

    /// One-hot contexts: the ℓ∞ LP decouples per column, and each column with an off-support token
    /// is best at +1 on S_j and −1 off it (margin 2 at ‖W‖_max = 1), so γ*_∞ = 2; γ* = 1/‖W^mm‖.
    private func onehotMargins(data: DataSet, features: ContextFeatures, wMM: [Double]) -> MarginGeometry? {
        guard (0..<data.contextCount).contains(where: { data.supportSize($0) < data.vocabularySize }) else { return nil }
        return MarginGeometry(data: data, features: features, gammaInf: 2, gamma2: 1 / frobenius(wMM))
    }
}

/// ‖W‖_F.
private func frobenius(_ w: [Double]) -> Double { w.reduce(0) { $0 + $1 * $1 }.squareRoot() }
