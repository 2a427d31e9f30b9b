import Foundation
import XCTest
import TestSupport

final class ReproduceCLITests: XCTestCase {
    private func rows(_ run: Run) throws -> [[String: Any]] {
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        return try XCTUnwrap(json["rows"] as? [[String: Any]])
    }

    func testTrainReferenceFromSolveEqualsAutoAndNoneOmitsColumns() throws {
        let dir = temporaryDirectory()
        let data = dir.appendingPathComponent("d.npz").path, h = dir.appendingPathComponent("H.npy").path
        let sol = dir.appendingPathComponent("sol.npz").path
        var r = try ntpsep(["synth", "--contexts", "20", "--vocab", "6", "--support", "3", "--samples", "400", "--seed", "3",
                            "--dim", "25", "--embeddings-out", h, "-o", data, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try ntpsep(["solve", data, "--embedding", "file:\(h)", "-o", sol, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let common = [data, "--embedding", "file:\(h)", "--steps", "300", "--log-every", "100", "--json"]
        let auto = try ntpsep(["train"] + common)
        XCTAssertTrue(auto.stderr.contains("reference: W* (residual"), auto.stderr)
        XCTAssertTrue(auto.stderr.contains("compatible) and W^mm (‖W^mm‖ = "), auto.stderr)
        let fromFile = try ntpsep(["train"] + common + ["--reference", sol])
        XCTAssertTrue(fromFile.stderr.contains("reference: W* and W^mm from \(sol)"), fromFile.stderr)
        let a = try rows(auto), b = try rows(fromFile)
        XCTAssertEqual(a.map { $0["step"] as? Int }, [0, 100, 200, 300])
        for (x, y) in zip(a, b) {
            for key in ["ce", "dist_pf_w_wstar", "cos_w_minus_wstar_wmm"] {
                XCTAssertEqual(x[key] as! Double, y[key] as! Double, accuracy: 1e-12, key)
            }
            XCTAssertEqual(x["cos_w_wmm"] as? Double ?? -1, y["cos_w_wmm"] as? Double ?? -1, accuracy: 1e-12)
        }
        // GD moves P_F(W) towards W* and W − W* towards W^mm (d ≥ m: separable and compatible).
        XCTAssertLessThan(a[3]["dist_pf_w_wstar"] as! Double, a[1]["dist_pf_w_wstar"] as! Double)
        XCTAssertGreaterThan(a[3]["cos_w_minus_wstar_wmm"] as! Double, a[1]["cos_w_minus_wstar_wmm"] as! Double)
        // A solve left undecided (one epoch, the minimum-norm point stopped after one pass) is not called "not
        // separable" (QA round 16).
        let undecided = dir.appendingPathComponent("undecided.npz").path
        r = try ntpsep(["solve", data, "--embedding", "file:\(h)", "-o", undecided, "--max-epochs", "1", "--time-limit", "1e-9", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let fromUndecided = try ntpsep(["train"] + common + ["--reference", undecided])
        XCTAssertTrue(fromUndecided.stderr.contains("reference: W* (the file says W^mm undecided: no W^mm, cosine columns omitted)"),
                      fromUndecided.stderr)
        let none = try rows(try ntpsep(["train"] + common + ["--reference", "none"]))
        XCTAssertTrue(none[3]["dist_pf_w_wstar"] is NSNull)
        XCTAssertEqual(none[3]["ce"] as! Double, a[3]["ce"] as! Double)
        // A solution for other features is refused in one line.
        assertFails(try ntpsep(["train", data, "--embedding", "gaussian:25", "--steps", "1", "--reference", sol]),
                    with: "--reference \(sol): its H differs from the run's context features")
        assertFails(try ntpsep(["train", data, "--embedding", "gaussian:7", "--steps", "1", "--reference", sol]),
                    with: "W_star has shape [6, 25] but DATA/--embedding give V × d = [6, 7]")
    }

    func testReproduceWritesFiguresLogsSummaryAndSynthData() throws {
        let dir = temporaryDirectory()
        let out = dir.appendingPathComponent("repro").path
        let r = try ntpsep(["reproduce", "--out", out, "--steps", "100", "--log-every", "50"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("toy        seed 39 "), r.stdout)
        for f in ["toy.svg", "paper-m50.svg", "paper-m50-gd.csv", "paper-m50-ngd.csv", "paper-m50-adam.csv", "summary.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + f), f)
        }
        let csv = try String(contentsOfFile: out + "/paper-m50-adam.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 4)                                   // header, steps 0, 50, 100
        XCTAssertTrue(csv[3].hasPrefix("100,"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as? [String: Any])
        let toy = try XCTUnwrap(summary["toy"] as? [String: Any])
        XCTAssertEqual(toy["seed"] as? Int, 39)
        XCTAssertEqual((toy["W_mm"] as? [[Double]])?.count, 5)
        // H is d × m as in every other file (QA round 9: it was m × d, the transpose of synth's H.npy).
        let toyH = dir.appendingPathComponent("Htoy.npy").path
        XCTAssertEqual(try ntpsep(["synth", "--contexts", "3", "--vocab", "5", "--support", "3", "--seed", "39", "--dim", "2",
                                   "--embeddings-out", toyH, "-o", dir.appendingPathComponent("toy.npz").path, "-q"]).status, 0)
        let synthH = try Python.run("import json, numpy; print(json.dumps(numpy.load('\(toyH)').tolist()))")
        let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(synthH.utf8)) as? [[Double]])
        XCTAssertEqual(expected.count, 2)
        XCTAssertEqual(toy["H"] as? [[Double]], expected)
        let paper = try XCTUnwrap(summary["paper_m50"] as? [String: Any])
        XCTAssertEqual(paper["entropy"] as! Double, 1.428760, accuracy: 5e-7)
        let runs = try XCTUnwrap(paper["runs"] as? [String: [String: Any]])
        XCTAssertEqual(Set(runs.keys), ["gd", "ngd", "adam"])
        XCTAssertEqual(runs["gd"]?["lr"] as? Double, 0.5)
        XCTAssertGreaterThan(runs["gd"]?["cos_w_minus_wstar_wmm"] as! Double, 0.5)
        // Same seeds, same bytes as `ntpsep synth`.
        let synth = dir.appendingPathComponent("s.npz").path, h = dir.appendingPathComponent("H.npy").path
        XCTAssertEqual(try ntpsep(["synth", "--contexts", "50", "--vocab", "10", "--support", "6", "--samples", "5000",
                                   "--seed", "0", "--dim", "60", "--embeddings-out", h, "-o", synth, "--quiet"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: synth)), try Data(contentsOf: URL(fileURLWithPath: out + "/paper-m50.npz")))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: h)), try Data(contentsOf: URL(fileURLWithPath: out + "/paper-m50-H.npy")))
        // The supports are drawn with 6 tokens; the help says what 5,000 samples of seed 0 observe (QA round 9: it said k_j = 6).
        let sizes = try Python.run("import numpy; p = numpy.load('\(synth)')['indptr']; d = numpy.diff(p); print(*(int((d == k).sum()) for k in (6, 5, 4)))")
        XCTAssertEqual(sizes.trimmingCharacters(in: .whitespacesAndNewlines), "39 9 2")
        let help = try ntpsep(["reproduce", "--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
        XCTAssertTrue(help.contains("supports drawn with 6 tokens, n = 5000 samples (seed 0's data observe 6 tokens in 39 contexts, 5 in 9 and 4 in 2)"), help)
        // Deterministic: a second run writes the same summary.
        let again = dir.appendingPathComponent("again").path
        XCTAssertEqual(try ntpsep(["reproduce", "--out", again, "--steps", "100", "--log-every", "50"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: again + "/summary.json")),
                       try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: again + "/paper-m50.svg")),
                       try Data(contentsOf: URL(fileURLWithPath: out + "/paper-m50.svg")))
    }
}
