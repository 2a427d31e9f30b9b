import XCTest
import Foundation
import NTPFormats

/// `solve` past its gram limit (lowered with --gram-limit so a small data set crosses it): W^mm is
/// computed in weight space and agrees with the Gram path. And W^mm when the NTP-SVM's epochs run out.
final class SolveGramLimitCLITests: XCTestCase {
    private func solution(_ dir: URL, _ name: String) throws -> [String: NPYArray] {
        try NPZArchive.read(path: dir.appendingPathComponent(name).path, decodingStrings: true)
    }

    private func scalar(_ file: [String: NPYArray], _ key: String) throws -> Double {
        try XCTUnwrap(file[key], key).doubles()[0]
    }

    /// 30 contexts, V = 10, d = 24 (separable): the default limit (12,000) uses G, --gram-limit 10 does not.
    func testSolvePastALoweredLimitMatchesTheGramPath() throws {
        let dir = try folderWithData()
        for (out, extra) in [("g.npz", [String]()), ("w.npz", ["--gram-limit", "10"])] {
            let run = try ntpsep(["solve", dir.appendingPathComponent("d.npz").path, "--embedding", "gaussian:24:1",
                                  "-o", dir.appendingPathComponent(out).path, "--linf-time-limit", "5"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.contains("W^mm       separable: "), run.stdout)
        }
        let g = try solution(dir, "g.npz"), w = try solution(dir, "w.npz")
        XCTAssertEqual(try w["status"]?.strings(), ["separable"])
        let wg = try XCTUnwrap(g["W_mm"]).doubles(), ww = try XCTUnwrap(w["W_mm"]).doubles()
        XCTAssertEqual(ww.count, 10 * 24)
        let norm = wg.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let diff = zip(wg, ww).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        XCTAssertGreaterThan(norm, 0)
        XCTAssertLessThan(diff, 1e-8 * norm)
        // γ* = 1/‖W^mm‖, and the minimum-norm point finds the same γ*.
        let margin = try scalar(w, "margin")
        XCTAssertEqual(margin, 1 / norm, accuracy: 1e-8 * margin)
        XCTAssertEqual(margin, try scalar(w, "gamma_min_norm_point"), accuracy: 1e-6 * margin)
        // The option is recorded only when it is not the default (older files keep their bytes).
        let options = try XCTUnwrap(w["options"]).strings()[0], defaults = try XCTUnwrap(g["options"]).strings()[0]
        XCTAssertTrue(options.contains("\"gram_limit\":10"), options)
        XCTAssertFalse(defaults.contains("gram_limit"), defaults)
    }

    /// When the NTP-SVM's epochs run out (--max-epochs 3 here; QA hit the default 200,000 on m = 60,
    /// d = 21), W^mm comes from the minimum-norm point, x*/‖x*‖², and equals the converged solver's.
    /// A run left undecided writes margin NaN, not 0.
    func testEpochsThatFallShortLeaveWmmToTheMinimumNormPoint() throws {
        let dir = try folderWithData()
        let data = dir.appendingPathComponent("d.npz").path
        for (out, extra) in [("full.npz", ["--embedding", "gaussian:24:1"]), ("short.npz", ["--embedding", "gaussian:24:1", "--max-epochs", "3"]),
                             ("flat.npz", ["--embedding", "gaussian:1:1", "--max-epochs", "1"]),
                             ("heuristic.npz", ["--embedding", "gaussian:24:1", "--non-separable-margin", "1"])] {
            let run = try ntpsep(["solve", data, "-o", dir.appendingPathComponent(out).path, "--linf-time-limit", "5"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            if out == "short.npz" { XCTAssertTrue(run.stdout.contains("then W^mm = x*/‖x*‖² from the minimum-norm point"), run.stdout) }
        }
        let full = try solution(dir, "full.npz"), short = try solution(dir, "short.npz"), flat = try solution(dir, "flat.npz")
        XCTAssertEqual(try full["W_mm_method"]?.strings(), ["block coordinate ascent"])
        XCTAssertEqual(try short["W_mm_method"]?.strings(), ["minimum-norm point"])
        XCTAssertEqual(try short["status"]?.strings(), ["separable"])
        let wf = try XCTUnwrap(full["W_mm"]).doubles(), ws = try XCTUnwrap(short["W_mm"]).doubles()
        let norm = wf.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let diff = zip(wf, ws).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        XCTAssertLessThan(diff, 1e-5 * norm)
        XCTAssertEqual(try scalar(short, "margin"), try scalar(short, "gamma_min_norm_point"), accuracy: 1e-12 * norm)
        XCTAssertTrue(try scalar(short, "kkt").isFinite)
        // A certified-margin heuristic that calls separable data not separable (margin 1 × max‖h̄‖) yields to
        // the minimum-norm point's proof (QA: H with column norms from 0.075 to 265).
        let heuristic = try solution(dir, "heuristic.npz")
        XCTAssertEqual(try heuristic["status"]?.strings(), ["separable"])
        XCTAssertEqual(try heuristic["W_mm_method"]?.strings(), ["minimum-norm point"])
        XCTAssertEqual(try XCTUnwrap(heuristic["W_mm"]).doubles(), ws)
        // d = 1: the minimum-norm point's Farkas pair settles what one epoch leaves undecided.
        XCTAssertEqual(try flat["status"]?.strings(), ["not-separable"])
        XCTAssertTrue(try scalar(flat, "margin").isNaN)
    }

    /// --time-limit bounds the minimum-norm point's γ* (QA round 14: 600 s on 875 contexts, unbounded
    /// then): at 1 µs it stops after its first pass, undecided, with an upper end on γ* = 1/‖W^mm‖; with
    /// time it reaches γ*. The limit is recorded when it is not the default; 0 is refused.
    func testTimeLimitBoundsTheMinimumNormPoint() throws {
        let dir = try folderWithData()
        let data = dir.appendingPathComponent("d.npz").path
        for (out, limit) in [("quick.npz", "0.000001"), ("full.npz", "30")] {
            let run = try ntpsep(["solve", data, "--embedding", "gaussian:24:1", "-o", dir.appendingPathComponent(out).path,
                                  "--linf-time-limit", "5", "--time-limit", limit])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertEqual(run.stdout.contains("(undecided) by the minimum-norm point: 1 oracle passes"), out == "quick.npz", run.stdout)
        }
        let quick = try solution(dir, "quick.npz"), full = try solution(dir, "full.npz")
        let margin = try scalar(full, "margin")
        XCTAssertEqual(try scalar(full, "gamma_min_norm_point"), margin, accuracy: 1e-6 * margin)
        XCTAssertGreaterThan(try scalar(quick, "gamma_min_norm_point"), margin * (1 + 1e-3))
        XCTAssertTrue(try XCTUnwrap(full["options"]).strings()[0].contains("\"time_limit\":30"))
        try assertRefused(["solve", "d.npz", "--embedding", "gaussian:24:1", "--time-limit", "0", "-o", "s.npz", "-q"],
                          in: dir, untouched: ["d.npz"], fragment: "--time-limit")
    }

    /// Past the limit with d ≥ m: one line saying why, no output file.
    func testFullRankCandidatePastTheLimitIsRefused() throws {
        let dir = try folderWithData()
        try assertRefused(["solve", "d.npz", "--embedding", "gaussian:40:1", "--gram-limit", "10", "-o", "s.npz", "-q"],
                          in: dir, untouched: ["d.npz"], fragment: "d = 40 ≥ m")
    }

    /// A minimum-norm point that stalls at float64's optimum proves separability (its x separates), and
    /// W^mm = x*/‖x*‖² then stands (QA round 16: `solve` said "undecided" and wrote an unconverged W_mm,
    /// 93 % from W^mm, where `check` closed γ*'s bracket in a second). KJV over its 30 most frequent tokens,
    /// its 100 most frequent contexts, a Gaussian H of d = 88 near the threshold. numpy re-checks W_mm: every
    /// margin ≥ 1 − 1e-6 with the ties to 1e-6, some margin at 1, and 1/‖W_mm‖ inside check's certified bracket.
    func testAStalledMinimumNormPointStillGivesWmm() throws {
        let dir = temporaryDirectory()
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        XCTAssertEqual(try ntpsep(["ingest", ScaleCLITests.kjv, "--max-vocab", "30", "-o", path("kjv30.npz")]).status, 0)
        try shell("""
            cd '\(dir.path)' && python3 -c "
            import numpy as np, scipy.sparse as sp
            M = sp.load_npz('kjv30.npz').tocsr(); n = np.asarray(M.sum(1)).ravel()
            sp.save_npz('top.npz', M[np.sort(np.argsort(-n, kind='stable')[:100])], compressed=False)
            np.save('H.npy', np.random.default_rng(4).standard_normal((88, 100)) / np.sqrt(88))"
            """)
        let solve = try ntpsep(["solve", path("top.npz"), "--embedding", "file:" + path("H.npy"), "-o", path("s.npz"),
                                "--max-epochs", "2000", "--linf-time-limit", "1"])
        XCTAssertEqual(solve.status, 0, solve.stderr)
        XCTAssertTrue(solve.stdout.contains("(separable) by the minimum-norm point"), solve.stdout)
        let check = try ntpsep(["check", path("top.npz"), "--embedding", "file:" + path("H.npy"), "--gap-steps", "0", "--json"])
        XCTAssertEqual(check.status, 0, check.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as! [String: Any]
        let bracket = try XCTUnwrap(json["margin_bracket"] as? [String: Double])
        let lower = try XCTUnwrap(bracket["lower"]), upper = try XCTUnwrap(bracket["upper"])
        let out = try shell("""
            cd '\(dir.path)' && python3 -c "
            import numpy as np, scipy.sparse as sp
            z = np.load('s.npz'); W = z['W_mm']; L = W @ np.load('H.npy'); M = sp.load_npz('top.npz').tocsr()
            worst, ties = np.inf, 0.0
            for j in range(M.shape[0]):
                S = M.indices[M.indptr[j]:M.indptr[j + 1]]; off = np.setdiff1d(np.arange(L.shape[0]), S)
                worst = min(worst, L[S, j].min() - L[off, j].max()); ties = max(ties, np.ptp(L[S, j]))
            print(z['status'], worst, ties, 1 / np.linalg.norm(W))"
            """)
        let fields = out.split(separator: " ").map(String.init)
        XCTAssertEqual(fields.first, "separable", out)
        let worst = try XCTUnwrap(Double(fields[1])), ties = try XCTUnwrap(Double(fields[2]))
        let margin = try XCTUnwrap(Double(fields[3].trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(worst, 1, accuracy: 1e-6, out)
        XCTAssertLessThan(ties, 1e-6, out)
        XCTAssertGreaterThanOrEqual(margin, lower * (1 - 1e-9), out)
        XCTAssertLessThanOrEqual(margin, upper * (1 + 1e-9), out)
    }
}
