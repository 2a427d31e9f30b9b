import XCTest
import TestSupport
import Foundation

final class CheckCLITests: XCTestCase {
    /// "x a" / "y a" / "x b" / "y b" at order 2 with positional one-hot features: contexts x and y
    /// both have support {a, b}; ties make them separable (tie a and b) — one-hot always is.
    func testCheckJSONKeysAndVerdicts() throws {
        let dir = temporaryDirectory()
        let data = try ingestWords("x a\ny a\nx b\ny b\n", in: dir, order: 2)
        let run = try ntpsep(["check", data, "--embedding", "onehot", "--json", "--gap-steps", "50"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        for key in ["compatible", "compat_residual", "separable", "entropy_gap"] { XCTAssertNotNil(json[key], key) }
        XCTAssertEqual(json["separable"] as? Bool, true)
        XCTAssertEqual(json["compatible"] as? Bool, true)
        XCTAssertEqual(json["contexts"] as? Int, 5)   // <s>, x, y, a, b
        let gap = try XCTUnwrap(json["entropy_gap"] as? Double)
        XCTAssertGreaterThan(gap, 0)   // CE > 𝓗 for every finite W
        XCTAssertLessThan(gap, log(6.0))  // and below CE(0) − 𝓗 ≤ log V
        // The options as given, typed: numbers as numbers, flags as booleans, an option not given as null.
        for field in ["\"gap_steps\" : 50,", "\"no_compat\" : false,", "\"max_contexts\" : null,", "\"seed\" : 0,",
                      "\"time_limit\" : 600,", "\"top\" : 10,"] {
            XCTAssertTrue(run.stdout.contains(field), field)
        }
        let bad = try ntpsep(["check", data, "--embedding", "gaussian:0"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("invalid embedding 'gaussian:0'"), bad.stderr)
    }

    /// With a single constant feature (H = ones(1, m) from `file:H.npy`) every context has the same
    /// logits, so inf CE is the entropy of the pooled next-token distribution: here (x, y, a, b, </s>)
    /// = (3, 3, 5, 1, 6)/18 over 18 events. The certified interval must contain H(pooled) − 𝓗 with its
    /// lower end within 1e-6 of it, and the text report prints the interval line.
    func testCertifiedIntervalOnPooledContextsMatchesClosedForm() throws {
        let dir = temporaryDirectory()
        let data = try ingestWords("x a\nx a\nx b\ny a\ny a\ny a\n", in: dir, order: 2)
        try shell("cd '\(dir.path)' && python3 -c \"import numpy as np, scipy.sparse as sp; np.save('H.npy', np.ones((1, sp.load_npz('corpus.npz').shape[0])))\"")
        let h = "file:" + dir.appendingPathComponent("H.npy").path
        let run = try ntpsep(["check", data, "--embedding", h, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let entropy = try XCTUnwrap(json["entropy"] as? Double)
        XCTAssertEqual(entropy, (6 * log(2.0) + 3 * (log(3.0) - 2.0 / 3 * log(2.0))) / 18, accuracy: 1e-12)
        let pooled = [3.0, 3, 5, 1, 6].map { $0 / 18 }.reduce(0) { $0 - $1 * log($1) }
        let truth = pooled - entropy
        let interval = try XCTUnwrap(json["entropy_gap_interval"] as? [Double])
        XCTAssertEqual(interval.count, 2)
        XCTAssertLessThanOrEqual(interval[0], truth + 1e-12)
        XCTAssertGreaterThanOrEqual(interval[1], truth)
        XCTAssertEqual(interval[0], truth, accuracy: 1e-6)
        XCTAssertLessThanOrEqual(interval[1], try XCTUnwrap(json["entropy_gap"] as? Double))
        let bound = try XCTUnwrap(json["entropy_gap_bound"] as? [String: Any])
        XCTAssertLessThanOrEqual(try XCTUnwrap(bound["residual"] as? Double), try XCTUnwrap(bound["tolerance"] as? Double))
        XCTAssertEqual(json["separable"] as? Bool, false)
        // Separated share: with one feature all contexts share their logits, and W ⊥ 𝓕 ties x = y and
        // a = b, so a W separates exactly the contexts whose support is its top group. Adam's W tends to
        // the log pooled probabilities; projected, </s> (6/18) stays above x = y (3/18 each) and a = b
        // (mean log of 5/18 and 1/18), so it separates the contexts a and b: 2 of 5, 6 of 18 events.
        XCTAssertEqual(try XCTUnwrap(json["separated_share_contexts"] as? Double), 2.0 / 5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(json["separated_share_events"] as? Double), 6.0 / 18, accuracy: 1e-12)
        let text = try ntpsep(["check", data, "--embedding", h])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("CE − 𝓗 ∈ ["), text.stdout)
        XCTAssertTrue(text.stdout.contains("(certified: lower from a feasible maximum-entropy point, upper from Adam's W"), text.stdout)
    }

    /// `--time-limit` bounds the entropy gap as well: at 0, Adam stops after its first step and the
    /// lower end's search begins no Hessian product, so the interval is [0, CE(W₁) − 𝓗], still around
    /// the closed form of the pooled contexts above, and both method lines say what stopped them; the
    /// separated share is left out.
    func testTimeLimitBoundsTheEntropyGap() throws {
        let dir = temporaryDirectory()
        let data = try ingestWords("x a\nx a\nx b\ny a\ny a\ny a\n", in: dir, order: 2)
        try shell("cd '\(dir.path)' && python3 -c \"import numpy as np, scipy.sparse as sp; np.save('H.npy', np.ones((1, sp.load_npz('corpus.npz').shape[0])))\"")
        let run = try ntpsep(["check", data, "--embedding", "file:" + dir.appendingPathComponent("H.npy").path, "--time-limit", "0", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let method = try XCTUnwrap(json["entropy_gap_method"] as? String)
        XCTAssertTrue(method.hasSuffix(", 1 of 2000 steps (stopped by the time limit)"), method)
        let bound = try XCTUnwrap(json["entropy_gap_bound"] as? [String: Any])
        XCTAssertEqual(bound["hessian_products"] as? Int, 0)
        // Adam's one step used the whole limit: the search is not begun (its first passes cost a step or more).
        XCTAssertEqual(bound["method"] as? String,
                       "q = p̂ (lower end not searched: Adam used the entropy gap's time limit; a larger --time-limit may find one)")
        XCTAssertEqual(bound["rounds"] as? Int, 0)
        let interval = try XCTUnwrap(json["entropy_gap_interval"] as? [Double])
        let entropy = try XCTUnwrap(json["entropy"] as? Double)
        let truth = [3.0, 3, 5, 1, 6].map { $0 / 18 }.reduce(0) { $0 - $1 * log($1) } - entropy
        XCTAssertEqual(interval[0], 0)
        XCTAssertGreaterThan(interval[1], truth + 0.01)   // one Adam step from W = 0 is far from inf CE
        // The separated share of a "no" needs an exact projection that cannot stop halfway: not begun.
        XCTAssertTrue(json["separated_share_contexts"] is NSNull)
        XCTAssertEqual(json["separated_share_method"] as? String, "not computed: the entropy gap used its time limit (raise --time-limit)")
        XCTAssertLessThanOrEqual(interval[1], log(6.0) - entropy)   // CE(0) − 𝓗 over V = 6 (with <s>)
    }

    /// The printed intervals contain the certified ones of `--json` (rounded outward): γ* ∈ [lo, hi] and
    /// CE − 𝓗 ∈ [lo, hi] on separable Gaussian data. γ* is known to round-off there (0.495348185920067 to
    /// …070) and prints as [0.49534818, 0.49534819]: rounded to nearest, both ends were 0.49534819, above it.
    func testPrintedIntervalsContainTheCertifiedOnes() throws {
        let dir = temporaryDirectory()
        let data = dir.appendingPathComponent("p.npz").path, h = dir.appendingPathComponent("H.npy").path
        XCTAssertEqual(try ntpsep(["synth", "--contexts", "30", "--vocab", "10", "--support", "4", "--samples", "3000",
                                   "--seed", "1", "--dim", "40", "--embeddings-out", h, "-o", data]).status, 0)
        let args = ["check", data, "--embedding", "file:\(h)", "--gap-steps", "300"]
        let run = try ntpsep(args + ["--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let bracket = try XCTUnwrap(json["margin_bracket"] as? [String: Double])
        let gap = try XCTUnwrap(json["entropy_gap_interval"] as? [Double])
        let text = try ntpsep(args)
        XCTAssertEqual(text.status, 0, text.stderr)
        func printed(after label: String) throws -> (Double, Double) {
            let line = try XCTUnwrap(text.stdout.split(separator: "\n").first { $0.contains(label) }, text.stdout)
            let inside = try XCTUnwrap(line.split(separator: "[").dropFirst().first?.split(separator: "]").first)
            let ends = inside.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            return (try XCTUnwrap(ends.first ?? nil), try XCTUnwrap(ends.last ?? nil))
        }
        let (lo, hi) = try printed(after: "γ*")
        XCTAssertGreaterThan(try XCTUnwrap(bracket["lower"]), 0)
        XCTAssertLessThanOrEqual(lo, try XCTUnwrap(bracket["lower"]))
        XCTAssertGreaterThanOrEqual(hi, try XCTUnwrap(bracket["upper"]))
        XCTAssertLessThan(hi - lo, 1e-3 * hi, text.stdout)
        let (gapLo, gapHi) = try printed(after: "CE − 𝓗 ∈")
        XCTAssertLessThanOrEqual(gapLo, gap[0])
        XCTAssertGreaterThanOrEqual(gapHi, gap[1])
    }

    /// A trained W certifies separability once projected onto 𝓕⊥ (its 𝓕 part tends to W*, not 0), and the
    /// numpy script accepts the certificate; a W that separates nothing (zeros) leaves the decision to the solvers.
    func testTrainedWeightsCertifySeparability() throws {
        let dir = temporaryDirectory()
        let data = dir.appendingPathComponent("p.npz").path, h = dir.appendingPathComponent("H.npy").path
        let w = dir.appendingPathComponent("W.npy").path, cert = dir.appendingPathComponent("cert.npz").path
        XCTAssertEqual(try ntpsep(["synth", "--contexts", "50", "--vocab", "10", "--support", "6", "--samples", "5000",
                                   "--seed", "0", "--dim", "60", "--embeddings-out", h, "-o", data]).status, 0)
        var run = try ntpsep(["train", data, "--embedding", "file:\(h)", "--steps", "3000", "--optimizer", "adam",
                              "--reference", "none", "--out", w])
        XCTAssertEqual(run.status, 0, run.stderr)
        run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--weights", w, "--gap-steps", "0",
                          "--certificate", cert, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["verdict"] as? String, "separable")
        let summary = try XCTUnwrap(json["certificate"] as? [String: Any])
        XCTAssertEqual(summary["method"] as? String, "certified from \(w)")
        // The given W stays the certificate after the NTP-SVM solve, so the margin is its own and the lower end.
        XCTAssertEqual(json["margin_kind"] as? String, "certificate-lower-bound")
        XCTAssertEqual(json["margin"] as? Double, (json["margin_bracket"] as? [String: Any])?["lower"] as? Double)
        // … and the solve still gives the upper end: the given W's bracket [lower, ∞] is not "closed"
        // (QA round 13 M1: ∞ − x ≤ 1e-6·∞ held, the solve was skipped and γ* ∈ [0.5299, ∞] printed).
        let upper = try XCTUnwrap((json["margin_bracket"] as? [String: Any])?["upper"] as? Double)
        XCTAssertLessThan(upper, .infinity)
        XCTAssertNotNil((json["timing"] as? [String: Any])?["max_margin"])
        XCTAssertTrue(try shell("python3 \(verifierScript) \(cert) \(data)").hasPrefix("VALID"))
        // An all-zero W separates nothing: the solvers decide instead.
        _ = try shell("python3 -c 'import numpy as np; np.save(\"\(w)\", np.zeros((10, 60)))'")
        run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--weights", w, "--gap-steps", "0", "--no-compat", "--json"])
        let again = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(again["verdict"] as? String, "separable")
        // … and the method says that it was tried (QA round 11: the closed form's W looked like a silent swap).
        XCTAssertEqual((again["certificate"] as? [String: Any])?["method"] as? String,
                       "closed form (\(w) was tried first: without the projection onto 𝓕⊥, some margin was ≤ 0 or a tie failed)")
        // A W of the wrong shape is one clear error.
        _ = try shell("python3 -c 'import numpy as np; np.save(\"\(w)\", np.zeros((3, 3)))'")
        run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--weights", w])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("expected W of shape (V, d) = (10, 60)"), run.stderr)
        // A NaN is named by its entry, as in an embedding file (QA round 16).
        _ = try shell("python3 -c 'import numpy as np; W = np.zeros((10, 60)); W[2, 7] = np.nan; np.save(\"\(w)\", W)'")
        run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--weights", w])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "Error: \(w): entry (2, 7) of W is nan; a W must be finite (replace NaN/inf before np.save)\n")
    }
}
