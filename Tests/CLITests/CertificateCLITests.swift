import XCTest
import NTPFormats
import TestSupport
import Foundation

/// `check --certificate` and `scripts/verify_certificate.py`: the certificates of hand-made data sets,
/// checked member by member against hand-derived values, by the numpy script, and after tampering.
final class CertificateCLITests: XCTestCase {
    let verifier = verifierScript

    /// theory.md §7: d = 1, V = 3, h̄_A = h̄_B = 1, S_A = {0, 1}, S_B = {0}. A's tie forces w_0 = w_1,
    /// so B's margin w_0 − w_1 ≥ 1 is impossible: α = 1 on (B, v = 1), and β = 1 on A's tie (z = 1,
    /// anchor 0) cancels it: (e_0 − e_1)·1 + (e_1 − e_0)·1 = 0.
    func testTheoryExampleFarkasCertificateHasTheHandDerivedMultipliers() throws {
        let dir = temporaryDirectory()
        let data = try dataSet(dir, "ex", supports: [[0, 1], [0]], V: 3)
        let h = try embedding(dir, [[1, 1]])
        let (run, cert, c) = try certify(data, embedding: "file:\(h)", in: dir)
        XCTAssertTrue(run.stdout.contains("certificate   wrote \(cert.path) (Farkas α on 1 pair, β on 1 tie, dense, 2 contexts)"), run.stdout)
        XCTAssertEqual(c["format_version"] as? Int, 2)
        XCTAssertEqual(c["gamma_lower_source"] as? String, "none")   // "no": the lower end is 0
        XCTAssertEqual(c["verdict"] as? String, "not-separable")
        XCTAssertEqual(c["tolerance"] as? Double, 1e-9)
        XCTAssertEqual(c["rows"] as? [Int], [0, 1])
        XCTAssertEqual(c["support_indptr"] as? [Int], [0, 2, 3])
        XCTAssertEqual(c["support_indices"] as? [Int], [0, 1, 0])
        XCTAssertEqual(c["H"] as? [[Double]], [[1, 1]])
        XCTAssertEqual(c["alpha_row"] as? [Int], [1])
        XCTAssertEqual(c["alpha_in"] as? [Int], [0])
        XCTAssertEqual(c["alpha_out"] as? [Int], [1])
        XCTAssertEqual(try XCTUnwrap(c["alpha"] as? [Double]).first ?? 0, 1, accuracy: 1e-12)
        XCTAssertEqual(c["beta_row"] as? [Int], [0])
        XCTAssertEqual(c["beta_in"] as? [Int], [1])
        XCTAssertEqual(c["beta_anchor"] as? [Int], [0])
        XCTAssertEqual(try XCTUnwrap(c["beta"] as? [Double]).first ?? 0, 1, accuracy: 1e-12)
        XCTAssertNil(c["W"])

        let ok = try verify(cert, data)
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertTrue(ok.stdout.hasPrefix("VALID not-separable: Farkas α on 1 pair, β on 1 tie, 2 contexts: Σα = "), ok.stdout)
        // Without β the residual is (e_0 − e_1)·1: ‖R‖ = √2 against a scale of √2.
        try assertInvalid(cert, "c['beta'][0] = 0", "relative residual 1 ")
        try assertInvalid(cert, "c['alpha'][0] = -1", "negative α")
        try assertInvalid(cert, "c['tolerance'] = np.float64(1)", "tolerance 1.0 is not in (0, 1e-09]")
        try assertInvalid(cert, "c['alpha_out'][0] = 0", "alpha_out ∈ S")
        // Dropping token 1 from S_A removes the tie β rests on (A has support {0}; B has {0}).
        try assertInvalid(cert, "c['support_indptr'] = np.array([0, 1, 2]); c['support_indices'] = np.array([0, 0])",
                          "beta_in or beta_anchor ∉ S")
    }

    /// With `--max-contexts`, `file:H.npy` may hold a column for every context of the data set: the kept
    /// contexts' columns are read (QA round 8: only a d × m(kept) array was taken, and a random subset's
    /// rows could not be matched by hand). The same check on H[:, rows] from the certificate file agrees.
    func testAFullWidthEmbeddingIsReadAtTheKeptRows() throws {
        let dir = temporaryDirectory()
        let supports = (0..<12).map { j in [j % 5, (j * 3 + 1) % 5].sorted() }.map { Array(Set($0)).sorted() }
        let data = try dataSet(dir, "twelve", supports: supports, V: 5)
        let full = dir.appendingPathComponent("Hall.npy").path, kept = dir.appendingPathComponent("Hkept.npy").path
        try python("np.save('\(full)', np.random.default_rng(3).standard_normal((4, 12)))")
        func check(_ h: String, _ cert: URL) throws -> [String: Any] {
            let run = try ntpsep(["check", data, "--max-contexts", "6", "--embedding", "file:\(h)", "--gap-steps", "0",
                                  "--no-compat", "--json", "--certificate", cert.path])
            XCTAssertEqual(run.status, 0, run.stderr)
            return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        }
        let a = dir.appendingPathComponent("a.npz"), b = dir.appendingPathComponent("b.npz")
        let viaFull = try check(full, a)
        let rows = try XCTUnwrap(try members(a)["rows"] as? [Int])
        XCTAssertEqual(rows.count, 6)
        try python("np.save('\(kept)', np.load('\(full)')[:, \(rows)])")
        let viaKept = try check(kept, b)
        XCTAssertEqual(viaFull["verdict"] as? String, viaKept["verdict"] as? String)
        XCTAssertEqual((viaFull["margin_bracket"] as? [String: Any])?["upper"] as? Double,
                       (viaKept["margin_bracket"] as? [String: Any])?["upper"] as? Double)
        XCTAssertEqual(try members(a)["H"] as? [[Double]], try members(b)["H"] as? [[Double]])
        let wrong = dir.appendingPathComponent("H7.npy").path
        try python("np.save('\(wrong)', np.ones((4, 7)))")
        assertFails(try ntpsep(["check", data, "--max-contexts", "6", "--embedding", "file:\(wrong)"]),
                    with: "expected a d × m array with m = 6 contexts (the contexts kept) or m = 12 (every context")
    }

    /// QA round 8's instance: synth data (m = 30, V = 10) with Gaussian H of d = 100 > m whose column 7
    /// repeats column 3 (supports {2, 6, 8} and {8, 9}). H is rank deficient, and the closed form's
    /// W = L H⁺ had norm 1e15 with ties of 130 beside margins of 1.4, which passed τ·s·‖W‖_F: "at the
    /// threshold", bracket [2e-16, 0], and the script said VALID. Three defences now stand in the way:
    /// duplicate contexts go first, a W's ties must stay below its margins, and a closed-form W whose
    /// margin exceeds the closest pair's ‖R‖_F (0 here) is dropped. Any one of them gives the exact "no"
    /// on this instance; with all three taken out, this test fails as QA's run did.
    func testARepeatedColumnWithDAboveMIsAnExactNo() throws {
        let dir = temporaryDirectory()
        let data = dir.appendingPathComponent("d.npz").path, h = dir.appendingPathComponent("dup.npy").path
        let made = try ntpsep(["synth", "--contexts", "30", "--vocab", "10", "--support", "3", "--samples", "3000", "--dim", "40",
                               "--embeddings-out", dir.appendingPathComponent("H40.npy").path, "-o", data, "--quiet"])
        XCTAssertEqual(made.status, 0, made.stderr)
        try python("r = np.random.default_rng(1); H = r.standard_normal((100, 30)); H[:, 7] = H[:, 3]; np.save('\(h)', H)")
        let cert = dir.appendingPathComponent("c.npz")
        let run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-steps", "0", "--no-compat", "--json", "--certificate", cert.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["verdict"] as? String, "not-separable", run.stdout)
        let certificate = try XCTUnwrap(json["certificate"] as? [String: Any])
        XCTAssertEqual(certificate["relative_residual"] as? Double, 0)
        let ok = try verify(cert, data)
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertTrue(ok.stdout.hasPrefix("VALID not-separable:"), ok.stdout)
    }

    /// `certificate.tie_bound` in `check --json` is the bound the ties were held to, τ·√2·‖W‖_F·max_j ‖h̄_j‖,
    /// recomputed here in numpy from the W and H of the certificate file; the text names it too.
    func testTieBoundIsRecomputedFromTheCertificateFile() throws {
        let dir = temporaryDirectory()
        // Context 0 ties tokens 0 and 1; context 1 predicts token 2. Separable with h̄ = (1, 0), (1, 2).
        let data = try dataSet(dir, "tie", supports: [[0, 1], [2]], V: 3)
        let h = try embedding(dir, [[1, 1], [0, 2]])
        let cert = dir.appendingPathComponent("c.npz")
        let run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-steps", "0", "--no-compat",
                              "--json", "--certificate", cert.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let certificate = try XCTUnwrap(json["certificate"] as? [String: Any])
        XCTAssertEqual(certificate["kind"] as? String, "separating-W")
        let bound = try XCTUnwrap(certificate["tie_bound"] as? Double)
        let recomputed = try Double(python("""
            c = np.load('\(cert.path)')
            print(repr(float(c['tolerance'] * np.linalg.norm(c['W']) * np.sqrt(2) * np.linalg.norm(c['H'], axis=0).max())))
            """).trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(bound, try XCTUnwrap(recomputed), accuracy: 1e-12 * bound)
        XCTAssertGreaterThan(bound, 1e-9)   // ‖W‖_F > 1/(√2·max‖h̄‖) for margins ≥ 1: the bound is not τ itself
        XCTAssertLessThanOrEqual(try XCTUnwrap(certificate["max_tie_violation"] as? Double), bound)
        let text = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-steps", "0", "--no-compat"])
        XCTAssertTrue(text.stdout.contains("≤ τ·scale·‖W‖_F = \(String(format: "%.2g", bound))"), text.stdout)
    }

    /// The same pair as rows 1 and 3 of a five-row data set whose other rows are seen once:
    /// --min-context-count 2 keeps rows 1 and 3, and everything the report and the file name is an input row.
    func testSubsampledRunNamesInputRows() throws {
        let dir = temporaryDirectory()
        let data = try dataSet(dir, "five", supports: [[2], [0, 1], [1], [0], [2]], V: 3,
                               counts: [[1], [1, 1], [1], [2], [1]])
        let h = try embedding(dir, [[1, 1]])
        let cert = dir.appendingPathComponent("c.npz")
        let run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--min-context-count", "2", "--gap-steps", "0",
                              "--json", "--certificate", cert.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["contexts"] as? Int, 2)
        let involved = try XCTUnwrap(json["involved_contexts"] as? [[String: Any]])
        // α is on context 3 (B); a solver may add round-off weight on 1 (A), listed after it.
        XCTAssertEqual(involved.first?["index"] as? Int, 3)
        XCTAssertEqual(involved.first?["text"] as? String, "#3")
        XCTAssertTrue(involved.allSatisfy { [1, 3].contains($0["index"] as? Int) }, "\(involved)")
        let file = try XCTUnwrap(json["certificate_file"] as? [String: Any])
        XCTAssertEqual(file["kind"] as? String, "farkas")
        XCTAssertEqual(file["rows"] as? Int, 2)
        let c = try members(cert)
        XCTAssertEqual(c["rows"] as? [Int], [1, 3])
        XCTAssertEqual(c["alpha_row"] as? [Int], [3])
        XCTAssertEqual(c["beta_row"] as? [Int], [1])
        XCTAssertEqual(try verify(cert, data).status, 0)
        // Rows shifted by one no longer have the stored supports.
        try assertInvalid(cert, "c['rows'] = c['rows'] - 1; c['alpha_row'] -= 1; c['beta_row'] -= 1",
                          "supports differ from those of", data: data)
    }

    /// h̄ = e₁, e₂ and e₁ + 1e-9·e₃, followed by 0, 1 and 1: the closed form's W = L H⁻¹ (rows
    /// (1, 0, −1e9) and (0, 1, 1e9), by hand) separates with every margin 1, but 1/‖W‖_F = 7.07e-10 is
    /// below 10τ·scale. That W is the at-threshold certificate: written, and checked by the script.
    func testASeparatingWBelowTenTauIsAnAtThresholdCertificate() throws {
        let dir = temporaryDirectory()
        let data = try dataSet(dir, "ill", supports: [[0], [1], [1]], V: 2)
        let h = try embedding(dir, [[1, 0, 1], [0, 1, 0], [0, 0, 1e-9]])
        let cert = dir.appendingPathComponent("ill-cert.npz")
        let run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-steps", "0", "--no-compat", "--json", "--certificate", cert.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["verdict"] as? String, "at-threshold")
        let c = try XCTUnwrap(json["certificate"] as? [String: Any])
        XCTAssertEqual(c["kind"] as? String, "separating-W")
        XCTAssertEqual(c["verified"] as? Bool, true)
        XCTAssertEqual(try members(cert)["verdict"] as? String, "at-threshold")
        let checked = try verify(cert, data)
        XCTAssertEqual(checked.status, 0, checked.stdout + checked.stderr)
        XCTAssertTrue(checked.stdout.hasPrefix("VALID at-threshold: separating W on 3 contexts: min margin 1"), checked.stdout)
        XCTAssertTrue(checked.stdout.contains("; 1/‖W‖_F = 7.07e-10, within 10τ·scale of 0"), checked.stdout)
        let text = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-steps", "0", "--no-compat"])
        XCTAssertTrue(text.stdout.contains("separable     at the threshold — a W ⊥ 𝓕 with every margin ≥ 1 verifies"), text.stdout)
        XCTAssertTrue(text.stdout.contains("but its normalized margin 7.1e-10 is below 10τ·scale = 1.4e-08"), text.stdout)
    }

    /// Contexts 0 and 4 are 1e-9 apart (H = [e1 e2 e3 e4 e1+1e-9·e2]) with different supports: separable, but
    /// only by a W of norm about √2/ε (numpy verifies one below), while a Farkas pair verifies to τ = 1e-9
    /// with a residual far above round-off. That is "at the threshold", not "no": the pair stays as the
    /// certificate, and its norm bound 1/‖R‖_F is the NTP-SVM's ‖W^mm‖ (within 1e-6). An exactly
    /// non-separable pair (theory.md's tie example, residual 0) is "no", checked against ρ₀ = 1e-12.
    func testAFarkasPairAboveRoundOffIsAtTheThreshold() throws {
        let dir = temporaryDirectory()
        let data = try dataSet(dir, "near", supports: [[0], [1], [2], [3], [1]], V: 4)
        let h = try embedding(dir, [[1, 0, 0, 0, 1], [0, 1, 0, 0, 1e-9], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]])
        let cert = dir.appendingPathComponent("near-cert.npz")
        let run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-steps", "0", "--json", "--certificate", cert.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["verdict"] as? String, "at-threshold")
        XCTAssertTrue(json["separable"] is NSNull)
        XCTAssertEqual(json["exact_residual"] as? Double, 1e-12)
        let c = try XCTUnwrap(json["certificate"] as? [String: Any])
        XCTAssertEqual(c["kind"] as? String, "farkas")
        XCTAssertEqual(c["verified"] as? Bool, true)
        let rho = try XCTUnwrap(c["relative_residual"] as? Double)
        XCTAssertTrue(rho > 1e-12 && rho <= 1e-9, "\(rho)")
        let bound = try XCTUnwrap(c["norm_lower_bound"] as? Double)
        // A separating W of norm √2/ε (+ O(1)): b = (−1/ε, 1/ε, 0, 0) on h̄'s second entry, a = e_0 on its first.
        let explicit = try python("""
            H = np.load('\(h)'); eps = 1e-9
            W = np.zeros((4, 4)); W[0, 0] = 1; W[0, 1] = -1 / eps; W[1, 1] = 1 / eps; W[2, 2] = 1; W[3, 3] = 1
            L = W @ H; S = [0, 1, 2, 3, 1]
            print(min(L[S[j], j] - np.delete(L[:, j], S[j]).max() for j in range(5)), np.linalg.norm(W))
            """).split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertGreaterThanOrEqual(explicit[0], 1 - 1e-6)
        XCTAssertLessThanOrEqual(bound, explicit[1] / (explicit[0] * (1 - 1e-6)))
        XCTAssertEqual(bound, explicit[1], accuracy: 1e-6 * explicit[1])
        XCTAssertEqual(try members(cert)["verdict"] as? String, "at-threshold")
        let checked = try verify(cert, data)
        XCTAssertEqual(checked.status, 0, checked.stdout + checked.stderr)
        XCTAssertTrue(checked.stdout.hasPrefix("VALID at-threshold") && checked.stdout.contains("(need ≤ τ = 1e-09); every separating W has ‖W‖_F ≥ 1.41e+09"),
                      checked.stdout)
        let text = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-steps", "0"])
        XCTAssertTrue(text.stdout.contains("separable     at the threshold — a Farkas pair verifies to τ = 1e-09 but not to round-off"), text.stdout)
        XCTAssertTrue(text.stdout.contains("only by a W with ‖W‖_F ≥ 1.4e+09"), text.stdout)

        let tie = try dataSet(dir, "tie", supports: [[0, 1], [0]], V: 3, counts: [[2, 1], [3]])
        let tieCert = dir.appendingPathComponent("tie-cert.npz")
        let exact = try ntpsep(["check", tie, "--embedding", "file:\(try embedding(dir, [[1, 1]]))", "--gap-steps", "0",
                                "--certificate", tieCert.path])
        XCTAssertTrue(exact.stdout.contains("separable     no — Farkas certificate verified (relative residual 0 ≤ ρ₀ = 1e-12, round-off"), exact.stdout)
        let exactChecked = try verify(tieCert, tie)
        XCTAssertTrue(exactChecked.stdout.hasPrefix("VALID not-separable") && exactChecked.stdout.contains("(need ≤ ρ₀ = 1e-12)"), exactChecked.stdout)
        // The same pair with a residual between ρ₀ and τ does not prove "no".
        try assertInvalid(tieCert, "c['H'] = c['H'] * np.array([[1, 1 + 1e-10]])", "(need ≤ ρ₀ = 1e-12)", data: tie)
    }

    /// The entropy-gap certificate on theory.md's tie example (h̄_A = h̄_B = 1, S_A = {0: 2, 1: 1}, S_B = {0: 3}):
    /// inf CE − 𝓗 = H(5/6, 1/6) − ½ H(2/3, 1/3) = 0.13230412471889824, and q pools both contexts at
    /// (5/6, 1/6, 0). The script recomputes the lower end from the counts, H and q alone, and refuses a q
    /// off the simplex, a stated lower end above what q gives, and counts that are not the data set's. A
    /// lower end of 0 (one-hot contexts: q = p̂) writes no file.
    func testEntropyGapCertificateIsRecheckedFromTheCountsAndQ() throws {
        let dir = temporaryDirectory()
        let data = try dataSet(dir, "tie", supports: [[0, 1], [0]], V: 3, counts: [[2, 1], [3]])
        let h = try embedding(dir, [[1, 1]])
        let gap = dir.appendingPathComponent("gap.npz")
        let run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-certificate", gap.path, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["gap_certificate_file"] as? String, gap.path)
        let truth = 0.13230412471889824
        let lower = try XCTUnwrap((json["entropy_gap_interval"] as? [Double])?.first)
        XCTAssertEqual(lower, truth, accuracy: 1e-9)
        XCTAssertLessThanOrEqual(lower, truth + 1e-12)
        let c = try members(gap)
        XCTAssertEqual(c["verdict"] as? String, "entropy-gap-lower")
        XCTAssertEqual(c["rows"] as? [Int], [0, 1])
        XCTAssertEqual(c["count_data"] as? [Double], [2, 1, 3])
        XCTAssertEqual(c["q_indptr"] as? [Int], [0, 2, 4])
        for (x, y) in zip(try XCTUnwrap(c["q_data"] as? [Double]), [5.0 / 6, 1.0 / 6, 5.0 / 6, 1.0 / 6]) { XCTAssertEqual(x, y, accuracy: 1e-9) }
        try assertValid(gap, data, prefix: "VALID entropy-gap-lower: CE(W) − 𝓗 ≥ 0.1323041247")
        try assertInvalid(gap, "c['q_data'] = c['q_data'] * 1.01", "sums to")
        try assertInvalid(gap, "c['lower'] = np.float64(0.14)", "stated lower end 0.14")
        try assertInvalid(gap, "c['q_data'] = np.array([0.5, 0.5, 1.0, 0.0])", "relative residual")
        let other = try dataSet(dir, "tie3", supports: [[0, 1], [0]], V: 3, counts: [[2, 1], [4]])
        try assertInvalid(gap, "pass", "counts differ from those of \(other)", data: other)

        let text = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-certificate", gap.path])
        XCTAssertTrue(text.stdout.contains("(τ = 1e-13), for every W with ‖W‖_F ≤ "), text.stdout)
        XCTAssertTrue(text.stdout.contains("gap cert.     wrote \(gap.path) (the q behind the lower end"), text.stdout)

        let onehot = dir.appendingPathComponent("onehot-gap.npz")
        let none = try ntpsep(["check", data, "--embedding", "onehot", "--gap-certificate", onehot.path, "--json"])
        XCTAssertEqual(none.status, 0, none.stderr)
        let noneJSON = try JSONSerialization.jsonObject(with: Data(none.stdout.utf8)) as! [String: Any]
        XCTAssertTrue(noneJSON["gap_certificate_file"] is NSNull)
        XCTAssertFalse(FileManager.default.fileExists(atPath: onehot.path))
    }

    /// Row j of a 20-row data set has support {j}, so the file itself shows which input row each of its
    /// contexts is: a random --max-contexts 5 must give rows[k] = support token k, not 0…4.
    func testMaxContextsSubsampleKeepsInputRowIndices() throws {
        let dir = temporaryDirectory()
        let data = try dataSet(dir, "diag", supports: (0..<20).map { [$0] }, V: 20)
        let cert = dir.appendingPathComponent("c.npz")
        let run = try ntpsep(["check", data, "--embedding", "onehot", "--max-contexts", "5", "--seed", "3", "--gap-steps", "20",
                              "--json", "--certificate", cert.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let c = try members(cert)
        let rows = try XCTUnwrap(c["rows"] as? [Int])
        XCTAssertEqual(rows.count, 5)
        XCTAssertEqual(rows, c["support_indices"] as? [Int])
        XCTAssertEqual(rows, rows.sorted())
        XCTAssertNotEqual(rows, [0, 1, 2, 3, 4])
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let excess = try XCTUnwrap(json["excess_loss_contexts"] as? [[String: Any]])
        XCTAssertEqual(excess.count, 5)
        for x in excess {   // no vocabulary: the support prints as token ids ("#t"), which equal the row
            XCTAssertEqual(x["support"] as? [String], ["#\(x["index"] as! Int)"])
        }
        XCTAssertEqual(try verify(cert, data).status, 0)
    }

    /// One-hot contexts: H = I and W = the support indicator (theory.md §2), both written sparse.
    func testOnehotWritesTheSupportIndicatorSparse() throws {
        let dir = temporaryDirectory()
        let data = try dataSet(dir, "oh", supports: [[0, 2], [1], [0, 1, 3]], V: 4)
        let (_, cert, c) = try certify(data, embedding: "onehot", in: dir)
        XCTAssertEqual(c["verdict"] as? String, "separable")
        XCTAssertEqual(c["rows"] as? [Int], [0, 1, 2])
        XCTAssertEqual(c["H_indptr"] as? [Int], [0, 1, 2, 3])
        XCTAssertEqual(c["H_indices"] as? [Int], [0, 1, 2])
        XCTAssertEqual(c["H_shape"] as? [Int], [3, 3])
        // W (4 × 3) column j = indicator of S_j.
        XCTAssertEqual(c["W_indptr"] as? [Int], [0, 2, 3, 6])
        XCTAssertEqual(c["W_indices"] as? [Int], [0, 2, 1, 0, 1, 3])
        XCTAssertEqual(c["W_data"] as? [Double], [1, 1, 1, 1, 1, 1])
        XCTAssertEqual(c["W_shape"] as? [Int], [4, 3])
        XCTAssertNil(c["W"])
        let ok = try verify(cert, data)
        XCTAssertEqual(ok.status, 0, ok.stdout)
        XCTAssertTrue(ok.stdout.contains("min margin 1 "), ok.stdout)
        XCTAssertTrue(ok.stdout.contains("max tie 0 "), ok.stdout)
        // The bracket is exact, γ* = 1/√(Σ_j k_j (V − k_j)/V) = 1/√((2·2 + 1·3 + 3·1)/4) = 1/√2.5, and it is
        // not the indicator W's own margin (1/√6): the file says so, and the script recomputes it.
        XCTAssertEqual(c["gamma_lower_source"] as? String, "one-hot")
        XCTAssertEqual(try XCTUnwrap(c["gamma_lower"] as? Double), 1 / 2.5.squareRoot(), accuracy: 1e-15)
        XCTAssertTrue(ok.stdout.contains("H = I: True, γ* = 1/√(Σ k(V − k)/V) = 0.632455532034"), ok.stdout)
        let text = try ntpsep(["check", data, "--embedding", "onehot", "--gap-steps", "0"]).stdout
        XCTAssertTrue(text.contains("margin        0.6325 (γ* exactly: the closed form's bracket is closed"), text)
        try assertInvalid(cert, "c['gamma_lower'] = c['gamma_lower'] * 1.001; c['gamma_upper'] = c['gamma_upper'] * 2", "need equal to 1e-12 relative")
        try assertInvalid(cert, "c['W_data'][0] = 0.5", "INVALID separable")      // breaks S_0's tie
        // S_1 = {3} instead of {1}: W's column 1 now ranks token 1 above the claimed support.
        try assertInvalid(cert, "c['support_indices'][2] = 3", "INVALID separable", data: data)
    }

    /// Positional one-hot on "a c p / a d q / b c q / b d p": h̄(ac) + h̄(bd) = h̄(ad) + h̄(bc), so the four
    /// margins w_p − w_q (ac, bd) and w_q − w_p (ad, bc) sum to 0: α = 1/4 on each, no β.
    func testPositionalOnehotXorFarkasCertificate() throws {
        let dir = temporaryDirectory()
        let data = try ingest(dir, "a c p\na d q\nb c q\nb d p\n")
        let (_, cert, c) = try certify(data, embedding: "positional-onehot", in: dir)
        XCTAssertEqual(c["verdict"] as? String, "not-separable")
        // Vocabulary <s> </s> a b c d p q; contexts (<s> <s>), (<s> a), (<s> b), (a c), (a d), (b c), (b d), …
        XCTAssertEqual(c["rows"] as? [Int], [3, 4, 5, 6])
        for a in try XCTUnwrap(c["alpha"] as? [Double]) { XCTAssertEqual(a, 0.25, accuracy: 1e-12) }
        XCTAssertEqual((c["alpha"] as? [Double])?.count, 4)
        XCTAssertEqual(c["alpha_in"] as? [Int], [6, 7, 7, 6])
        XCTAssertEqual(c["alpha_out"] as? [Int], [7, 6, 6, 7])
        XCTAssertEqual(c["beta"] as? [Double], [])
        // h̄(a c) = e_a ⊕ e_c: features a = 2 and V + c = 8 + 4.
        XCTAssertEqual(c["H_indices"] as? [Int], [2, 12, 2, 13, 3, 12, 3, 13])
        XCTAssertEqual(c["H_shape"] as? [Int], [16, 4])
        XCTAssertEqual(try verify(cert, data).status, 0)
        try assertInvalid(cert, "c['alpha'] = np.array([0.4, 0.2, 0.2, 0.2])", "relative residual")
    }

    /// "a c p / b d q": distinct positional one-hot features, separable; W written sparse.
    func testPositionalOnehotSeparableCertificate() throws {
        let dir = temporaryDirectory()
        let data = try ingest(dir, "a c p\nb d q\n")
        let (_, cert, c) = try certify(data, embedding: "positional-onehot", in: dir)
        XCTAssertEqual(c["verdict"] as? String, "separable")
        XCTAssertEqual((c["rows"] as? [Int])?.count, 7)   // every context of the two lines
        XCTAssertNotNil(c["W_data"])
        let ok = try verify(cert, data)
        XCTAssertEqual(ok.status, 0, ok.stdout)
        try assertInvalid(cert, "c['W_data'] = c['W_data'] * 0.5", "INVALID separable")
    }

    /// Dense Gaussian features on random supports (m = 40, V = 12, k_j ∈ 1…4): d = 4 is not separable
    /// (40 contexts cannot be separated in 4 dimensions here), d = 60 ≥ m is (W = L G⁻¹ Hᵀ).
    /// numpy recomputes the margins of W independently of the script.
    func testGaussianCertificatesBothWays() throws {
        let dir = temporaryDirectory()
        let data = dir.appendingPathComponent("s.npz").path
        XCTAssertEqual(try ntpsep(["synth", "--contexts", "40", "--vocab", "12", "--support", "uniform:1-4", "-o", data, "-q"]).status, 0)

        let no = dir.appendingPathComponent("no.npz")
        XCTAssertEqual(try ntpsep(["check", data, "--embedding", "gaussian:4", "--gap-steps", "0", "--no-compat", "--certificate", no.path]).status, 0)
        XCTAssertEqual(try members(no)["verdict"] as? String, "not-separable")
        let valid = try verify(no, data)
        XCTAssertEqual(valid.status, 0, valid.stdout)
        // (The pair comes from forced ties here: α on one margin row, β on the ties that force it.)
        try assertInvalid(no, "c['beta'][0] *= 1.5", "relative residual")
        try assertInvalid(no, "c['H'][0, 0] += 0.1", "relative residual")

        let yes = dir.appendingPathComponent("yes.npz")
        XCTAssertEqual(try ntpsep(["check", data, "--embedding", "gaussian:60", "--gap-steps", "0", "--no-compat", "--certificate", yes.path]).status, 0)
        XCTAssertEqual(try verify(yes, data).status, 0)
        // Independent recomputation: dense W (12 × 60), H (60 × 40), smallest margin exactly 1 to round-off.
        let margin = try python("""
            c = np.load('\(yes.path)'); L = c['W'] @ c['H']; p, s = c['support_indptr'], c['support_indices']
            worst = min(min(L[s[p[k]], k] - L[v, k] for v in range(12) if v not in s[p[k]:p[k + 1]]) for k in range(40))
            print(c['W'].shape, c['H'].shape, round(worst, 9))
            """)
        XCTAssertEqual(margin.trimmingCharacters(in: .whitespacesAndNewlines), "(12, 60) (60, 40) 1.0")
        try assertInvalid(yes, "c['W'] = c['W'] * 0.9", "INVALID separable")
        // Adding 1 to W[z, f] for a token z tied with another one breaks that tie by |h̄_f| ≫ τ·scale.
        try assertInvalid(yes, """
            p, s = c['support_indptr'], c['support_indices']; k = int(np.argmax(np.diff(p) > 1))
            c['W'][s[p[k] + 1], np.argmax(np.abs(c['H'][:, k]))] += 1
            """, "INVALID separable")
    }

    /// Undecided (no time for the LP): the file holds the verdict only, check still exits 0, the script 1.
    func testUndecidedWritesNoCertificateAndTheScriptSaysSo() throws {
        let dir = temporaryDirectory()
        let data = dir.appendingPathComponent("s.npz").path
        XCTAssertEqual(try ntpsep(["synth", "--contexts", "40", "--vocab", "12", "--support", "uniform:1-4", "-o", data, "-q"]).status, 0)
        let cert = dir.appendingPathComponent("u.npz")
        // d = 30: no token follows 30 of the 40 contexts, so no tie forces a "no" without an LP.
        let run = try ntpsep(["check", data, "--embedding", "gaussian:30", "--time-limit", "0", "--gap-steps", "0", "--no-compat", "--certificate", cert.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("(no certificate: verdict and margin bracket only)"), run.stdout)
        let c = try members(cert)
        XCTAssertEqual(c["verdict"] as? String, "undecided")
        XCTAssertNil(c["rows"])
        let r = try verify(cert, nil)
        XCTAssertEqual(r.status, 3)
        XCTAssertTrue(r.stdout.hasPrefix("UNDECIDED no certificate: verdict undecided"), r.stdout)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 1, r.stdout)
    }

    /// The numpy script answers what is not a certificate with one line and a non-zero code, never a
    /// traceback: an .npz without the members (1), a file numpy cannot read and a missing file (2, stderr).
    func testVerifierRejectsWhatIsNotACertificate() throws {
        let dir = temporaryDirectory()
        let plain = dir.appendingPathComponent("plain.npz"), text = dir.appendingPathComponent("text.npz")
        try python("np.savez('\(plain.path)', a=np.arange(3))")
        try Data("hello\n".utf8).write(to: text)
        let r = try verify(plain, nil)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "INVALID not a certificate: no member verdict, tolerance, vocab_size, format_version\n")
        for file in [text, dir.appendingPathComponent("missing.npz")] {
            let bad = try verify(file, nil)
            XCTAssertEqual(bad.status, 2, bad.stdout)
            XCTAssertEqual(bad.stdout, "")
            XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
            XCTAssertTrue(bad.stderr.hasPrefix("\(file.path): cannot read the certificate"), bad.stderr)
        }
        XCTAssertEqual(try runTool(["python3", verifier, "--help"]).status, 0)
    }

    /// Determinism (same inputs, same bytes) and a bad path failing before any work with one line.
    func testCertificateIsByteIdenticalAndBadPathFails() throws {
        let dir = temporaryDirectory()
        let data = try dataSet(dir, "ex", supports: [[0, 1], [0], [2]], V: 3)
        let a = dir.appendingPathComponent("a.npz"), b = dir.appendingPathComponent("b.npz")
        for out in [a, b] {
            XCTAssertEqual(try ntpsep(["check", data, "--embedding", "gaussian:2:5", "--gap-steps", "0", "--certificate", out.path]).status, 0)
        }
        XCTAssertEqual(try Data(contentsOf: a), try Data(contentsOf: b))
        let missing = dir.appendingPathComponent("no/such/dir/c.npz")
        assertFails(try ntpsep(["check", data, "--embedding", "onehot", "--certificate", missing.path]),
                    with: "cannot write \(missing.path)", noFileAt: missing)
    }

    // MARK: - fixtures

    /// A data set (.npz) with the given supports (counts 1 unless given).
    func dataSet(_ dir: URL, _ name: String, supports: [[Int]], V: Int, counts: [[Int]]? = nil) throws -> String {
        let path = dir.appendingPathComponent(name + ".npz").path
        try DataSet.fromSupports(supports, vocabulary: V, counts: counts?.map { $0.map(Double.init) }).writeNPZ(to: path)
        return path
    }

    /// H (d × m) saved for --embedding file:H.npy.
    func embedding(_ dir: URL, _ h: [[Double]]) throws -> String {
        let path = dir.appendingPathComponent("H.npy").path
        try python("np.save('\(path)', np.array(\(h), np.float64))")
        return path
    }

    /// An order-3 data set of whitespace-separated lines.
    func ingest(_ dir: URL, _ text: String) throws -> String {
        try ingestWords(text, in: dir, order: 3)
    }

    /// `check DATA --embedding EMBEDDING --gap-steps 0 --certificate DIR/c.npz`, which must succeed:
    /// the run, the certificate's path and its members.
    func certify(_ data: String, embedding: String, in dir: URL) throws -> (run: Run, cert: URL, members: [String: Any]) {
        let cert = dir.appendingPathComponent("c.npz")
        let run = try ntpsep(["check", data, "--embedding", embedding, "--gap-steps", "0", "--certificate", cert.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        return (run, cert, try members(cert))
    }

    /// The 200 most frequent KJV contexts over the 200 most frequent tokens carry 12,827 ties, beyond the
    /// minimum-norm point's tie basis; with d close to m the null-space route (by cutting planes) decides
    /// both ways, and the script re-checks its W (d = 199) and its Farkas pair (d = 160) from the files alone.
    func testNullSpaceAndForcedTieCertificatesOnKJV() throws {
        let (dir, data) = try ingestedKJV(["--max-vocab", "200"])
        // d close to m = 200: the null-space route; m = 2,000 and d = 500: the 927 contexts that both
        // 'And' and 'For' follow span R^500 and force them to share a decoder row.
        let cases = [(200, 199, "separable", "null-space cutting planes (GLPK): dim null(H̄) = 1,"),
                     (200, 160, "not-separable", "null-space cutting planes (GLPK): dim null(H̄) = 40,"),
                     (2000, 500, "not-separable", "forced ties: tokens '<unk>' ~ ',' share a decoder row (the 927 contexts followed by both span R^500)")]
        for (m, d, verdict, prefix) in cases {
            let cert = dir.appendingPathComponent("c\(m)-\(d).npz")
            let run = try ntpsep(["check", data, "--max-contexts", "\(m)", "--context-choice", "most-frequent",
                                  "--embedding", "gaussian:\(d):0", "--gap-steps", "0", "--no-compat", "--json",
                                  "--certificate", cert.path])
            XCTAssertEqual(run.status, 0, run.stderr)
            let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
            let method = (json["certificate"] as? [String: Any])?["method"] as? String ?? "none"
            XCTAssertTrue(method.hasPrefix(prefix), method)
            if m == 200 {
                // The method names no seconds (they were in it, and made --json differ run to run).
                XCTAssertFalse(method.contains(" s"), method)
                let again = try ntpsep(["check", data, "--max-contexts", "\(m)", "--context-choice", "most-frequent",
                                        "--embedding", "gaussian:\(d):0", "--gap-steps", "0", "--no-compat", "--json",
                                        "--certificate", cert.path])
                XCTAssertEqual(try withoutTiming(Data(again.stdout.utf8)), try withoutTiming(Data(run.stdout.utf8)))
            }
            XCTAssertEqual(try members(cert)["verdict"] as? String, verdict)
            let ok = try verify(cert, data)
            XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
            XCTAssertTrue(ok.stdout.hasPrefix("VALID \(verdict)"), ok.stdout)
        }
    }

    /// One-hot features on every context of the whole KJV (m = 148,464, V = 13,746): "separable" in
    /// closed form, with the support indicator written as a sparse W (one nonzero per support entry;
    /// dense it would be 2·10⁹ numbers) that the numpy script verifies; moving context 0's anchor entry
    /// to a token outside its support is rejected (its anchor logit drops to 0, that token's rises to 1).
    /// Gaussian features on every context are decided by forced ties on the whole set.
    func testWholeKJVOnehotBySparseWAndGaussianByForcedTies() throws {
        let (dir, data) = try ingestedKJV([])
        let cert = dir.appendingPathComponent("whole-onehot.npz")
        let json = try checkedAndVerified(data, embedding: "onehot", certificate: cert, verdict: "separable")
        XCTAssertEqual(json["contexts"] as? Int, 148_464)
        XCTAssertEqual(json["separated_share_contexts"] as? Double, 1)
        let shape = try python("""
            c = np.load('\(cert.path)'); d = np.load('\(data)')
            print(c['W_shape'].tolist(), len(c['W_data']), len(d['indices']), sorted(set(c['W_data'].tolist())), len(c['rows']))
            """)
        XCTAssertEqual(shape, "[13746, 148464] 410081 410081 [1.0] 148464\n")
        try assertInvalid(cert, "s = set(c['support_indices'][c['support_indptr'][0]:c['support_indptr'][1]].tolist())\n"
                          + "c['W_indices'] = c['W_indices'].copy(); c['W_indices'][0] = min(set(range(13746)) - s)", "min margin -1 ", data: data)
        // Gaussian d = 128 on every context: ',' and '.' follow far more than 128 common contexts, so
        // forced ties decide the whole set at once (no rung of the ladder within its tie budget does).
        let gj = try checkedAndVerified(data, embedding: "gaussian:128:0", certificate: dir.appendingPathComponent("whole-gaussian.npz"),
                                        verdict: "not-separable")
        let method = (gj["certificate"] as? [String: Any])?["method"] as? String ?? "none"
        XCTAssertTrue(method.hasPrefix("forced ties: tokens "), method)
    }

    /// `check DATA --embedding SPEC --gap-steps 0 --no-compat --json --certificate CERT`: asserts the
    /// verdict and that the numpy script finds CERT valid with that verdict; returns the JSON.
    func checkedAndVerified(_ data: String, embedding: String, certificate: URL, verdict: String,
                            file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let run = try ntpsep(["check", data, "--embedding", embedding, "--gap-steps", "0", "--no-compat", "--json",
                              "--certificate", certificate.path])
        XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["verdict"] as? String, verdict, file: file, line: line)
        let ok = try verify(certificate, data)
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr, file: file, line: line)
        XCTAssertTrue(ok.stdout.hasPrefix("VALID \(verdict)"), ok.stdout, file: file, line: line)
        return json
    }

    /// The uniform null's first trial on the 100 most frequent KJV contexts (V = 203): at d = 68 the
    /// cutting planes first reach a point barely inside every cone, whose W's normalized margin
    /// (1.6e-8) is within 10τ of 0, so the trial used to be undecided, d* ∈ [68, 69]. Cutting the
    /// shallowest tokens again gives a deeper point: "separable" with a W the numpy script verifies,
    /// and d* = 68.
    func testUniformNullTrialIsDecidedByDeeperCuts() throws {
        let (dir, data) = try ingestedKJV(["--max-vocab", "200"])
        let trials = dir.appendingPathComponent("trials").path
        let sweep = try ntpsep(["sweep", data, "--contexts", "100", "--trials", "1", "--null", "uniform",
                                "--time-limit", "60", "--trial-data", trials, "--json"])
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(sweep.stdout.utf8)) as! [String: Any]
        let null = try XCTUnwrap((json["trials"] as! [[String: Any]]).first { $0["model"] as? String == "null-uniform" })
        let bracket = null["bracket"] as! [String: Any]
        XCTAssertEqual(bracket["lower"] as? Int, 67)
        XCTAssertEqual(bracket["upper"] as? Int, 68)
        let cert = dir.appendingPathComponent("null68.npz")
        let run = try ntpsep(["check", trials + "/null-uniform-m100-t0.npz", "--embedding", "gaussian:68:0", "--gap-steps", "0",
                              "--no-compat", "--certificate", cert.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("separable     yes"), run.stdout)
        let ok = try verify(cert, trials + "/null-uniform-m100-t0.npz")
        XCTAssertTrue(ok.stdout.hasPrefix("VALID separable"), ok.stdout)
    }

    /// Column norms from 2e-4 to 1e4 (QA round 21: synth's m = 12, V = 6 at d = 5): on H the decision stayed
    /// at the threshold, its bracket below 10τ of a scale set by the largest column. Separability does not depend
    /// on the norms, and on the unit columns the minimum-norm point finds a Farkas pair; carried back (multipliers
    /// divided by ‖h̄_j‖) it verifies on H at round-off, here and in the numpy script.
    func testSpreadColumnNormsAreDecidedOnTheUnitColumns() throws {
        let dir = temporaryDirectory()
        let data = dir.appendingPathComponent("u12.npz").path, h = dir.appendingPathComponent("H.npy").path
        let cert = dir.appendingPathComponent("cert.npz")
        XCTAssertEqual(try ntpsep(["synth", "--contexts", "12", "--vocab", "6", "--support", "uniform:1-3", "--seed", "4", "-o", data, "-q"]).status, 0)
        try python("H = np.random.default_rng(15).standard_normal((5, 12)) / np.sqrt(5); np.save('\(h)', H * 10.0 ** np.random.default_rng(15).uniform(-4, 4, 12))")
        let run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-steps", "0", "--no-compat", "--certificate", cert.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("separable     no — Farkas certificate verified"), run.stdout)
        XCTAssertTrue(run.stdout.contains("(on the unit columns h̄_j/‖h̄_j‖: their norms span 5.27e+07×; at the threshold on H)"), run.stdout)
        try assertValid(cert, data, prefix: "VALID not-separable")
    }

    /// The KJV's 30 most frequent contexts over its 2,000 most frequent tokens (V = 2,003): their
    /// supports hold 1,381 token classes (tokens in the same contexts merged), and the decisions past the
    /// forced ties run over classes: "no" at d = 26, "yes" at d = 28. The certificates name tokens of
    /// the data set, and the numpy script verifies both against it.
    func testLargeVocabularyIsDecidedOverTokenClasses() throws {
        let (dir, data) = try ingestedKJV(["--max-vocab", "2000"])
        for (d, verdict) in [(26, "not-separable"), (28, "separable")] {
            let cert = dir.appendingPathComponent("classes\(d).npz")
            let run = try ntpsep(["check", data, "--max-contexts", "30", "--context-choice", "most-frequent",
                                  "--embedding", "gaussian:\(d):0", "--gap-steps", "0", "--no-compat", "--json", "--certificate", cert.path])
            XCTAssertEqual(run.status, 0, run.stderr)
            let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
            XCTAssertEqual(json["verdict"] as? String, verdict)
            let method = (json["certificate"] as? [String: Any])?["method"] as? String ?? ""
            XCTAssertTrue(method.hasSuffix("(on 1381 token classes of V = 2003)"), method)
            let ok = try verify(cert, data)
            XCTAssertTrue(ok.stdout.hasPrefix("VALID \(verdict)") && ok.stdout.contains("rows and supports match"), ok.stdout)
        }
    }

    /// 30 random KJV contexts over its 200 most frequent tokens, Gaussian d = 20 (seed 0): Wolfe's
    /// minimum-norm point says "yes" with a W whose normalized margin is 0.0029, and the NTP-SVM solve
    /// (on unless --no-compat) tightens the bracket to γ* = 0.02151. The certificate file must hold the
    /// W behind that lower end (QA round 11a: it kept the decision's W and bracket, and the printed
    /// margin sat below the printed bracket). Recomputed in numpy from the file alone, min margin/‖W‖_F
    /// lies within the printed bracket (JSON: to round-off; text: to its 4 digits) and is the printed
    /// margin; the file's bracket is the printed one, and the script checks the lower end against W.
    func testTightenedBracketIsTheCertificateFilesOnKJV() throws {
        let (dir, data) = try ingestedKJV(["--max-vocab", "200"])
        let cert = dir.appendingPathComponent("mm.npz")
        let args = ["check", data, "--max-contexts", "30", "--embedding", "gaussian:20:0", "--gap-steps", "0", "--certificate", cert.path]
        func report(_ extra: [String]) throws -> [String: Any] {
            let run = try ntpsep(args + ["--json"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        }
        // The premise: the decision alone brackets γ* far below what the solve certifies.
        let decisionOnly = try XCTUnwrap(try report(["--no-compat"])["margin_bracket"] as? [String: Any])
        let json = try report([])
        XCTAssertEqual(json["verdict"] as? String, "separable")
        XCTAssertEqual(json["margin_kind"] as? String, "max-margin")
        let bracket = try XCTUnwrap(json["margin_bracket"] as? [String: Any])
        let lower = try XCTUnwrap(bracket["lower"] as? Double), upper = try XCTUnwrap(bracket["upper"] as? Double)
        XCTAssertLessThan(try XCTUnwrap(decisionOnly["lower"] as? Double), lower / 2)
        let margin = try XCTUnwrap(json["margin"] as? Double)
        let c = try members(cert)
        XCTAssertEqual(c["format_version"] as? Int, 2)
        XCTAssertEqual(c["gamma_lower_source"] as? String, "W")
        XCTAssertEqual(c["gamma_lower"] as? Double, lower)
        XCTAssertEqual(c["gamma_upper"] as? Double, upper)
        let recomputed = try XCTUnwrap(Double(python("""
            c = np.load('\(cert.path)')
            W, H, p, s = c['W'], c['H'], c['support_indptr'], c['support_indices']
            L = W @ H
            margin = min(np.delete(L[s[p[k]], k] - L[:, k], s[p[k]:p[k + 1]]).min() for k in range(H.shape[1]))
            print(repr(float(margin / np.linalg.norm(W))))
            """).trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(recomputed, 0.02151, accuracy: 5e-6)
        XCTAssertLessThanOrEqual(lower, recomputed * (1 + 1e-12))
        XCTAssertLessThanOrEqual(recomputed, upper * (1 + 1e-12))
        XCTAssertEqual(margin, recomputed, accuracy: 1e-12 * recomputed)
        // The text's bracket is rounded outward, so it contains the margin; the margin line prints the
        // bracket's lower end as the bracket does (rounded down, as many digits).
        let text = try ntpsep(Array(args.dropLast(2))).stdout
        func printed(_ pattern: String) throws -> [Double] {
            let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix(pattern) }, text)
            return line.dropFirst(pattern.count).split(whereSeparator: { !"0123456789.e-".contains($0) }).compactMap { Double($0) }
        }
        let shown = try printed("γ*            ∈ "), shownMargin = try printed("margin        ")
        XCTAssertLessThanOrEqual(shown[0], recomputed * (1 + 1e-12), text)
        XCTAssertLessThanOrEqual(recomputed, shown[1] * (1 + 1e-12), text)
        XCTAssertEqual(shownMargin[0], shown[0], text)
        XCTAssertEqual(shownMargin[0], recomputed, accuracy: 1e-7 * recomputed, text)
        XCTAssertTrue(text.contains("margin        0.021513453 (1/‖W^mm‖ = min margin/‖W‖_F of the certificate's W"), text)
        let ok = try verify(cert, data)
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertTrue(ok.stdout.hasPrefix("VALID separable") && ok.stdout.contains("min margin/‖W‖_F = 0.0215"), ok.stdout)
        try assertInvalid(cert, "c['gamma_lower'] = c['gamma_lower'] * 1.001; c['gamma_upper'] = c['gamma_upper'] * 2", "need ≥ gamma_lower")
        // A version 1 file (no gamma_lower_source, the decision's bracket) stays readable and valid.
        let old = dir.appendingPathComponent("v1.npz")
        try python("c = dict(np.load('\(cert.path)')); del c['gamma_lower_source']; c['format_version'] = np.array(1)\n"
                   + "c['gamma_lower'] = np.array(1.0); np.savez('\(old.path)', **c)")
        let v1 = try verify(old, data)
        XCTAssertEqual(v1.status, 0, v1.stdout + v1.stderr)
        XCTAssertFalse(v1.stdout.contains("gamma_lower"), v1.stdout)
    }

    /// The default corpus ingested with `options` into a fresh temporary folder: (folder, data set path).
    /// Skips the test when the corpus has not been fetched.
    func ingestedKJV(_ options: [String]) throws -> (URL, String) {
        let kjv = URL(fileURLWithPath: verifierScript).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("corpora/data/kjv.txt").path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: kjv), "corpora/fetch.sh default fetches the KJV")
        let dir = temporaryDirectory()
        let data = dir.appendingPathComponent("kjv.npz").path
        XCTAssertEqual(try ntpsep(["ingest", kjv] + options + ["-o", data, "-q"]).status, 0)
        return (dir, data)
    }

    /// Every member of an .npz as JSON values (scalars unwrapped, arrays as nested lists).
    func members(_ cert: URL) throws -> [String: Any] {
        let text = try python("""
            import json
            c = np.load('\(cert.path)')
            finite = lambda v: None if v.dtype.kind == 'f' and v.ndim == 0 and not np.isfinite(v) else v.tolist()
            print(json.dumps({k: finite(c[k]) for k in c.files}))
            """)
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    /// Runs the verifier script.
    func verify(_ cert: URL, _ data: String?) throws -> Run {
        try runTool(["python3", verifier, cert.path] + (data.map { [$0] } ?? []))
    }

    /// Runs the verifier, which must accept `cert` (exit 0) with one line that starts with `prefix` and, given
    /// `data`, ends saying the rows and supports match it.
    func assertValid(_ cert: URL, _ data: String?, prefix: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let ok = try verify(cert, data)
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr, file: file, line: line)
        XCTAssertTrue(ok.stdout.hasPrefix(prefix), ok.stdout, file: file, line: line)
        if let data { XCTAssertTrue(ok.stdout.hasSuffix("rows and supports match \(data)\n"), ok.stdout, file: file, line: line) }
    }

    /// Applies `edit` (Python on the dict `c` of members) to a copy of `cert` and asserts that the
    /// script rejects it with exit 1 and a line containing `fragment`.
    func assertInvalid(_ cert: URL, _ edit: String, _ fragment: String, data: String? = nil,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let bad = cert.deletingLastPathComponent().appendingPathComponent("tampered-\(UUID().uuidString).npz")
        try python("c = dict(np.load('\(cert.path)'))\n\(edit)\nnp.savez('\(bad.path)', **c)")
        let r = try verify(bad, data)
        XCTAssertEqual(r.status, 1, "\(edit): \(r.stdout)\(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stdout.hasPrefix("INVALID") && r.stdout.contains(fragment), "\(edit): \(r.stdout)\(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 1, r.stdout, file: file, line: line)
    }

    /// Runs Python code (numpy imported as np); throws on a non-zero exit.
    @discardableResult
    func python(_ code: String) throws -> String {
        try Python.run("import numpy as np\n" + code)
    }
}
