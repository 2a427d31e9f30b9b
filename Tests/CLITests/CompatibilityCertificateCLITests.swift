import XCTest
import Foundation

/// `check --compat-certificate` and `scripts/verify_certificate.py`: the evidence behind both compatibility
/// verdicts, against hand-derived values and numpy's least squares, and refused after tampering.
extension CertificateCLITests {
    /// V = 3, d = 1, supports {0, 1} with counts (2, 1), (1, 2), (4, 1) and h = 1, 1, 2 (the hand example of
    /// `testATimeLimitLeavesCompatibilityUnknownNotFalse`). The centred log-odds are ±s_j, s = (a/2, −a/2, a),
    /// a = log 2, against ±δh_j/2: least squares gives δ/2 = Σ h_j s_j / Σ h_j² = a/3, so the residual of
    /// context j is ±(s_j − a h_j/3) = ±(a/6, −5a/6, a/3), and its relative size √(60/108) = √(5/9). That y has
    /// Σ_j y_j h_j = 0 exactly (per token: a/6 − 5a/6 + 2a/3), so B is only limited by round-off, and
    /// L = ¾ yᵀc/(‖y‖‖c‖) = ¾ √(5/9).
    func testTheHandExampleRefutationIsTheLeastSquaresResidual() throws {
        let dir = temporaryDirectory()
        let data = try dataSet(dir, "lsq", supports: [[0, 1], [0, 1], [0, 1]], V: 3, counts: [[2, 1], [1, 2], [4, 1]])
        let h = try embedding(dir, [[1, 1, 2]])
        let cert = dir.appendingPathComponent("compat.npz")
        let run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-steps", "0", "--compat-certificate", cert.path, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["compatible"] as? Bool, false)
        let file = try XCTUnwrap(json["compat_certificate_file"] as? [String: Any])
        XCTAssertEqual(file["kind"] as? String, "refutation")
        XCTAssertEqual(file["layout"] as? String, "dense")
        let lower = try XCTUnwrap(file["lower"] as? Double), radius = try XCTUnwrap(file["norm_radius"] as? Double)
        XCTAssertEqual(lower, 0.75 * (5.0 / 9).squareRoot(), accuracy: 1e-12)
        XCTAssertGreaterThan(radius, 1e12)
        let c = try members(cert)
        XCTAssertEqual(c["verdict"] as? String, "not-compatible")
        XCTAssertEqual(c["format_version"] as? Int, 1)
        XCTAssertEqual(c["count_data"] as? [Double], [2, 1, 1, 2, 4, 1])
        XCTAssertEqual(c["H"] as? [[Double]], [[1, 1, 2]])
        let a = log(2.0)
        for (y, expected) in zip(try XCTUnwrap(c["y"] as? [Double]), [a / 6, -a / 6, -5 * a / 6, 5 * a / 6, a / 3, -a / 3]) {
            XCTAssertEqual(y, expected, accuracy: 1e-12)
        }
        XCTAssertEqual(try XCTUnwrap(c["residual"] as? Double), (5.0 / 9).squareRoot(), accuracy: 1e-12)
        try assertValid(cert, data, prefix: "VALID not-compatible: every W with ‖W‖_F ≤ ")
        // One entry of y off by 1e-3 leaves Σ y_j h_j = 1e-3, which at B ≥ 1e12 swamps yᵀc.
        try assertInvalid(cert, "c['y'][0] += 1e-3", "has relative residual ≥ -")
        try assertInvalid(cert, "c['norm_radius'] = np.float64(1e300)", "(need > τ = 1e-06")
        // QA round 18: a file's own τ or L was trusted, and either made any claim pass.
        try assertInvalid(cert, "c['tolerance'] = np.float64(1e30); c['y'] = -c['y']", "tolerance 1e+30 is not in (0, 1e-06]")
        try assertInvalid(cert, "c['lower'] = np.float64(5)", "≥ the stated 5)")
        let other = try dataSet(dir, "lsq2", supports: [[0, 1], [0, 1], [0, 1]], V: 3, counts: [[2, 1], [1, 2], [4, 3]])
        try assertInvalid(cert, "pass", "counts differ from those of \(other)", data: other)
        // Same inputs, same bytes.
        let first = try Data(contentsOf: cert)
        let text = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-steps", "0", "--compat-certificate", cert.path])
        XCTAssertTrue(text.stdout.contains("compat cert.  wrote \(cert.path) (the least-squares residual: every W with ‖W‖_F ≤ "), text.stdout)
        XCTAssertEqual(try Data(contentsOf: cert), first)
    }

    /// The same counts with h = (1, 0), (0, 1), (2, 0) are compatible: δ = w₀ − w₁ = (a, −a) gives δ·h_j/2 = s_j,
    /// and the minimum-norm W is w₀ = δ/2, w₁ = −δ/2, w₂ = 0 (token 2 is in no support). The script recomputes
    /// the residual of the stored W and refuses a W moved off it.
    func testACompatibleVerdictStoresTheMinimumNormW() throws {
        let dir = temporaryDirectory()
        let data = try dataSet(dir, "fit", supports: [[0, 1], [0, 1], [0, 1]], V: 3, counts: [[2, 1], [1, 2], [4, 1]])
        let h = try embedding(dir, [[1, 0, 2], [0, 1, 0]])
        let cert = dir.appendingPathComponent("compat.npz")
        let run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--gap-steps", "0", "--compat-certificate", cert.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("compat cert.  wrote \(cert.path) (a W within the tolerance, dense;"), run.stdout)
        let c = try members(cert)
        XCTAssertEqual(c["verdict"] as? String, "compatible")
        XCTAssertNil(c["y"])
        let a = log(2.0)
        let w = try XCTUnwrap(c["W"] as? [[Double]])
        for (row, expected) in zip(w, [[a / 2, -a / 2], [-a / 2, a / 2], [0, 0]]) {
            for (x, e) in zip(row, expected) { XCTAssertEqual(x, e, accuracy: 1e-12) }
        }
        try assertValid(cert, data, prefix: "VALID compatible: W on 3 contexts: relative residual")
        try assertInvalid(cert, "c['W'][0, 0] += 1e-3", "(need ≤ τ = 1e-06")
    }

    /// Sparse features (positional one-hot on text) store H as CSC; numpy's own least squares on the explicit
    /// system, built from the file's members, has the same residual vector y and relative residual. A solve
    /// stopped by the time limit is "unknown" and its file holds no certificate (exit 3), and
    /// --compat-certificate with --no-compat is refused before anything is written.
    func testPositionalOnehotRefutationMatchesNumpyLeastSquares() throws {
        let dir = temporaryDirectory()
        var state: UInt64 = 4
        let lines = (0..<40).map { _ in
            (0..<12).map { _ -> String in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return ["a", "b", "c", "d", "e"][Int(state >> 33) % 5]
            }.joined(separator: " ")
        }
        let data = try ingest(dir, lines.joined(separator: "\n"))
        let cert = dir.appendingPathComponent("compat.npz")
        let run = try ntpsep(["check", data, "--embedding", "positional-onehot", "--gap-steps", "0", "--compat-certificate", cert.path, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["compatible"] as? Bool, false)
        XCTAssertEqual((json["compat_certificate_file"] as? [String: Any])?["layout"] as? String, "sparse")
        let residual = try XCTUnwrap(json["compat_residual"] as? Double)
        let numpy = try numpyLeastSquares(cert)
        XCTAssertEqual(residual, numpy.residual, accuracy: 1e-9 * numpy.residual)
        XCTAssertLessThan(numpy.yDistance, 1e-9)
        try assertValid(cert, data, prefix: "VALID not-compatible:")
        // A smaller d in H_shape folded features onto each other and shrank ‖G‖ (QA round 18).
        try assertInvalid(cert, "c['H_shape'] = np.array([1, c['H_shape'][1]])", "do not describe a CSC matrix with d = 1 rows")

        let unknown = dir.appendingPathComponent("unknown.npz")
        let stopped = try ntpsep(["check", data, "--embedding", "gaussian:4", "--gap-steps", "0", "--time-limit", "0",
                                  "--compat-certificate", unknown.path])
        XCTAssertEqual(stopped.status, 0, stopped.stderr)
        XCTAssertTrue(stopped.stdout.contains("(no certificate: verdict and residual only;"), stopped.stdout)
        let undecided = try verify(unknown, data)
        XCTAssertEqual(undecided.status, 3, undecided.stdout + undecided.stderr)
        XCTAssertEqual(undecided.stdout, "UNDECIDED no certificate: verdict compatibility-unknown, relative residual 1\n")

        let refused = dir.appendingPathComponent("refused.npz")
        assertFails(try ntpsep(["check", data, "--no-compat", "--compat-certificate", refused.path]),
                    with: "--compat-certificate needs the compatibility solve, which --no-compat skips", noFileAt: refused)
        // Two spellings of one file (QA round 18: one certificate overwrote the other).
        let respelled = dir.path + "/./" + refused.lastPathComponent
        assertFails(try ntpsep(["check", data, "--gap-steps", "0", "--compat-certificate", refused.path, "--certificate", respelled]),
                    with: "two outputs have the same path (\(respelled) is the same file)", noFileAt: refused)
        // A symbolic link to it, made before the file exists (QA round 18: it passed, and the Farkas file was lost).
        let link = dir.appendingPathComponent("link.npz")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: refused.lastPathComponent)
        assertFails(try ntpsep(["check", data, "--gap-steps", "0", "--compat-certificate", refused.path, "--certificate", link.path]),
                    with: "two outputs have the same path (\(link.path) is the same file)", noFileAt: refused)
    }

    /// The 300 most frequent KJV contexts over its 200 most frequent tokens, Gaussian d = 16: `check` solves the
    /// log-odds system by token elimination (0.06 s; CGLS took 1.7 s). numpy's least squares on the explicit system
    /// (17,259 × 3,248), built from the file's members, has the same relative residual and the same residual vector
    /// y, and the refutation verifies.
    func testKJVRefutationByEliminationMatchesNumpyLeastSquares() throws {
        try assertKJVRefutationMatchesNumpyLeastSquares(contexts: 300, embedding: "gaussian:16", yTolerance: 1e-9)
    }

    /// Past the direct elimination's 3,000 contexts, `check` solves the shifts by CG (`IterativeTokenElimination`):
    /// 3,200 KJV contexts over 200 tokens (61,040 support entries), gaussian:8. Its
    /// residual and y are numpy's least squares on the explicit system, and the refutation verifies.
    func testPastTheEliminationLimitTheIterativeSolveMatchesNumpyLeastSquares() throws {
        try assertKJVRefutationMatchesNumpyLeastSquares(contexts: 3200, embedding: "gaussian:8", yTolerance: 1e-8)
    }

    /// `check` on the most frequent KJV contexts over its 200 most frequent tokens says "not compatible" with the
    /// relative residual of numpy's least squares (to 1e-9), a residual vector y within `yTolerance` of numpy's, and
    /// a refutation that verifies.
    func assertKJVRefutationMatchesNumpyLeastSquares(contexts: Int, embedding: String, yTolerance: Double) throws {
        let (dir, data) = try ingestedKJV(["--max-vocab", "200"])
        let cert = dir.appendingPathComponent("compat.npz")
        let run = try ntpsep(["check", data, "--max-contexts", "\(contexts)", "--context-choice", "most-frequent", "--embedding", embedding,
                              "--gap-steps", "0", "--compat-certificate", cert.path, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["compatible"] as? Bool, false)
        let residual = try XCTUnwrap(json["compat_residual"] as? Double)
        let numpy = try numpyLeastSquares(cert)
        XCTAssertEqual(residual, numpy.residual, accuracy: 1e-9 * numpy.residual)
        XCTAssertLessThan(numpy.yDistance, yTolerance)
        try assertValid(cert, data, prefix: "VALID not-compatible:")
    }

    /// numpy's minimum-norm least squares on the explicit log-odds system of a compatibility certificate (dense or
    /// CSC H, the supports and counts it stores): the relative residual, and the largest difference between its
    /// residual vector and the file's y.
    func numpyLeastSquares(_ cert: URL) throws -> (residual: Double, yDistance: Double) {
        let printed = try python("""
            import scipy.sparse as sp
            c = np.load('\(cert.path)')
            H = c['H'] if 'H' in c.files else sp.csc_matrix((c['H_data'], c['H_indices'], c['H_indptr']), shape=c['H_shape']).toarray()
            Sp, Si, n = c['support_indptr'], c['support_indices'], c['count_data']
            V, d = int(c['vocab_size']), H.shape[0]
            rows, cols, values, target, r0 = [], [], [], [], 0
            for j in range(len(Sp) - 1):
                S, k = Si[Sp[j]:Sp[j + 1]], Sp[j + 1] - Sp[j]
                P = np.eye(k) - 1.0 / k                      # centring within the support
                values.append((P[:, :, None] * H[:, j][None, None, :]).ravel())   # row a, token S[i], feature f
                rows.append(np.repeat(r0 + np.arange(k), k * d))
                cols.append(np.tile((S[:, None] * d + np.arange(d)).ravel(), k))
                target.append(P @ np.log(n[Sp[j]:Sp[j + 1]] / n[Sp[j]:Sp[j + 1]].sum()))
                r0 += k
            A = sp.coo_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(r0, V * d)).toarray()
            b = np.concatenate(target)
            w = np.linalg.lstsq(A, b, rcond=None)[0]
            r = b - A @ w
            print(np.linalg.norm(r) / np.linalg.norm(b), np.abs(r - c['y']).max())
            """).split(separator: " ").map { Double($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
        return (printed[0], printed[1])
    }
}
