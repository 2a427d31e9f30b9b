import XCTest
import NTPFormats
import TestSupport
import Foundation

final class SweepCLITests: XCTestCase {
    /// A data set from the analyze test's tiny corpus (order 3, 300 lines).
    private func dataSet(_ dir: URL) throws -> String {
        let text = dir.appendingPathComponent("tiny.txt"), npz = dir.appendingPathComponent("tiny.npz").path
        try AnalyzeCLITests.corpus().write(to: text, atomically: true, encoding: .utf8)
        let run = try ntpsep(["ingest", text.path, "-o", npz])
        XCTAssertEqual(run.status, 0, run.stderr)
        return npz
    }

    /// `sweep` of `npz` at m = 12 with the uniform null and seed 5, plus `options`: the trial CSV's
    /// rows by column name.
    private func sweepRows(_ npz: String, in dir: URL, trials: Int, _ options: [String]) throws -> [[String: String]] {
        let csv = dir.appendingPathComponent("t.csv").path
        let run = try ntpsep(["sweep", npz, "--contexts", "12", "--trials", "\(trials)", "--null", "uniform", "--seed", "5",
                              "--csv", csv] + options)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(lines[0], $0)) }
    }

    /// Two m, real + both nulls, 6 trials: every trial decided; the summary's median and interval are
    /// numpy's median and the 1st/6th order statistics of the trial rows; the SVG has a band per
    /// model; and `check` with the printed recipe reproduces a real trial's H: separable at d*, not at
    /// d* − 1.
    func testSweepCSVSummaryFigureAndReproduction() throws {
        let dir = temporaryDirectory()
        let npz = try dataSet(dir)
        let csv = dir.appendingPathComponent("t.csv").path, svg = dir.appendingPathComponent("f.svg").path
        let run = try ntpsep(["sweep", npz, "--contexts", "16,24", "--trials", "6", "--null", "uniform,frequency",
                              "--seed", "3", "--time-limit", "20", "--csv", csv, "--plot", svg])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("null-frequency"), run.stdout)
        XCTAssertTrue(run.stdout.contains("--context-choice most-frequent --seed 3 --embedding gaussian:d:SEED"), run.stdout)
        let summary = dir.appendingPathComponent("t-summary.csv").path
        let py = try shell("""
            python3 - '\(csv)' '\(summary)' <<'PY'
            import sys, csv, numpy as np
            rows = list(csv.DictReader(open(sys.argv[1])))
            summ = {(r["model"], r["m"]): r for r in csv.DictReader(open(sys.argv[2]))}
            assert len(rows) == 36 and len(summ) == 6, (len(rows), len(summ))
            assert all(r["status"] == "decided" for r in rows)
            bad = 0
            for (model, m), s in summ.items():
                x = np.sort([float(r["d_star_over_m"]) for r in rows if r["model"] == model and r["m"] == m])
                d = [int(r["d_star"]) for r in rows if r["model"] == model and r["m"] == m]
                bad += sorted(d) != [round(v * int(m)) for v in x]
                bad += abs(np.median(x) - float(s["median"])) > 1e-15
                bad += x[0] != float(s["ci_lower"]) or x[5] != float(s["ci_upper"])
                bad += s["decided"] != "6" or s["undecided"] != "0"
            first = next(r for r in rows if r["model"] == "real" and r["m"] == "16")
            print(bad, first["d_star"], first["embedding_seed"])
            PY
            """)
        let parts = py.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(parts[0], "0", py)
        let dStar = Int(parts[1])!, seed = parts[2]
        XCTAssertEqual(seed, "3")
        XCTAssertGreaterThan(dStar, 1)
        let figure = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertEqual(figure.components(separatedBy: "<polygon").count - 1, 3)
        XCTAssertTrue(figure.contains("real supports"))
        func separable(_ d: Int) throws -> String {
            let r = try ntpsep(["check", npz, "--max-contexts", "16", "--context-choice", "most-frequent", "--seed", "3",
                                "--embedding", "gaussian:\(d):\(seed)", "--json", "--no-compat", "--gap-steps", "0"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            return "\(json["separable"] ?? "missing")"
        }
        XCTAssertEqual(try separable(dStar), "1")
        XCTAssertEqual(try separable(dStar - 1), "0")
    }

    /// `--trial-data` writes every trial's data set, and `check` on a null trial's file with
    /// gaussian:d:(SEED+t) reproduces its decisions: separable at d*, not at d* − 1.
    func testSweepTrialDataReproducesNullTrials() throws {
        let dir = temporaryDirectory()
        let npz = try dataSet(dir)
        let trials = dir.appendingPathComponent("trials").path
        let rows = try sweepRows(npz, in: dir, trials: 2, ["--trial-data", trials])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: trials).sorted(),
                       ["null-uniform-m12-t0.npz", "null-uniform-m12-t1.npz", "real-m12-t0.npz", "real-m12-t1.npz"])
        let row = try XCTUnwrap(rows.first { $0["model"] == "null-uniform" && $0["trial"] == "1" })
        let dStar = Int(row["d_star"]!)!, seed = row["embedding_seed"]!
        XCTAssertEqual(seed, "6")
        XCTAssertEqual(row["status"], "decided")
        func separable(_ d: Int) throws -> String {
            let r = try ntpsep(["check", trials + "/null-uniform-m12-t1.npz", "--embedding", "gaussian:\(d):\(seed)",
                                "--json", "--no-compat", "--gap-steps", "0"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            XCTAssertEqual(json["contexts"] as? Int, 12)
            return "\(json["separable"] ?? "missing")"
        }
        XCTAssertGreaterThan(dStar, 1)
        XCTAssertEqual(try separable(dStar), "1")
        XCTAssertEqual(try separable(dStar - 1), "0")
    }

    /// `--certificates` writes, per trial, Farkas multipliers at d* − 1 and a W at d* (named by d),
    /// and the numpy script accepts every one against the input data set: the real trials' rows and
    /// supports are its own; the null trials' files hold their redrawn supports and say so
    /// (`supports_redrawn`), so against DATA only their rows and V are compared.
    func testSweepCertificatesProveEveryThreshold() throws {
        let dir = temporaryDirectory()
        let npz = try dataSet(dir)
        let certs = dir.appendingPathComponent("certs").path
        var expected: [String] = []
        for row in try sweepRows(npz, in: dir, trials: 3, ["--certificates", certs]) {
            XCTAssertEqual(row["status"], "decided")
            let name = "\(row["model"]!)-m12-t\(row["trial"]!)", dStar = Int(row["d_star"]!)!
            XCTAssertGreaterThan(dStar, 1)
            expected += ["\(name)-d\(dStar - 1).npz 0 VALID not-separable:", "\(name)-d\(dStar).npz 0 VALID separable:"]
        }
        XCTAssertEqual(expected.count, 12)
        let lines = try verifyCertificates(in: certs) { _ in npz }
        XCTAssertEqual(lines, expected.sorted())
        let null = certs + "/" + expected[6].split(separator: " ")[0], real = certs + "/" + expected[0].split(separator: " ")[0]
        let said = try runTool(["python3", verifierScript, null, npz])
        XCTAssertTrue(said.stdout.hasSuffix("; rows are rows of \(npz), supports redrawn by null-uniform (checked in the file)\n"), said.stdout)
        XCTAssertTrue(try runTool(["python3", verifierScript, real, npz]).stdout.contains("; rows and supports match"))
        // Without the member, the redrawn supports are compared with DATA's, and differ.
        let stripped = try runTool(["python3", "-c", """
            import numpy as np, sys; sys.path.insert(0, '\(URL(fileURLWithPath: verifierScript).deletingLastPathComponent().path)')
            import verify_certificate as v
            c = dict(np.load('\(null)')); del c['supports_redrawn']; np.savez('\(null).stripped.npz', **c)
            sys.exit(v.main(['v', '\(null).stripped.npz', '\(npz)']))
            """])
        XCTAssertEqual(stripped.status, 1, stripped.stderr)
        XCTAssertTrue(stripped.stdout.hasSuffix("supports differ from those of \(npz)\n"), stripped.stdout)
    }

    /// Same inputs and seed: byte-identical CSV and figure (no timings in either).
    func testSweepOutputsAreDeterministic() throws {
        let dir = temporaryDirectory()
        let npz = try dataSet(dir)
        var outputs: [String] = []
        for k in 0..<2 {
            let csv = dir.appendingPathComponent("t\(k).csv").path, svg = dir.appendingPathComponent("f\(k).svg").path
            let run = try ntpsep(["sweep", npz, "--contexts", "12", "--trials", "3", "--null", "frequency", "--csv", csv, "--plot", svg])
            XCTAssertEqual(run.status, 0, run.stderr)
            outputs.append(try String(contentsOfFile: csv, encoding: .utf8) + String(contentsOfFile: svg, encoding: .utf8))
        }
        XCTAssertEqual(outputs[0], outputs[1])
    }

    /// Bad options: one line naming the option.
    func testSweepRejectsBadOptions() throws {
        let dir = temporaryDirectory()
        let npz = try dataSet(dir)
        let a = try ntpsep(["sweep", npz, "--null", "zipf"])
        XCTAssertNotEqual(a.status, 0)
        XCTAssertEqual(a.stderr.trimmingCharacters(in: .whitespacesAndNewlines), "Error: --null: unknown model 'zipf' (known: uniform, frequency, none)")
        let b = try ntpsep(["sweep", npz, "--contexts", "10,x"])
        XCTAssertTrue(b.stderr.contains("--contexts: cannot read 'x'"), b.stderr)
        let c = try ntpsep(["sweep", npz, "--contexts", "10", "--max-contexts", "10"])
        XCTAssertTrue(c.stderr.contains("either --contexts LIST or --max-contexts N"), c.stderr)
    }

    /// `--json` on the tiny corpus (m = 12, real and uniform-null supports, 6 trials): every trial is
    /// decided and its bracket is proven by the decisions it lists (a W at d* and, for d* > 1, a
    /// Farkas certificate at d* − 1); each point's median is the median of its trials' d*/m; and the
    /// options and keys scripts read are there.
    func testSweepJSONBracketsAreProvenByTheirCertificates() throws {
        let dir = temporaryDirectory()
        let npz = try dataSet(dir)
        let run = try ntpsep(["sweep", npz, "--contexts", "12", "--trials", "6", "--null", "uniform", "--seed", "1",
                              "--time-limit", "20", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["trials_per_point"] as? Int, 6)
        XCTAssertEqual(json["context_choice"] as? String, "most-frequent")
        XCTAssertEqual((json["options"] as? [String: Any])?["null"] as? [String], ["uniform"])
        XCTAssertTrue((json["options"] as? [String: Any])?["max_contexts"] is NSNull)
        let trials = try XCTUnwrap(json["trials"] as? [[String: Any]])
        XCTAssertEqual(trials.count, 12)
        var ratios: [String: [Double]] = [:]
        for t in trials {
            let b = try XCTUnwrap(t["bracket"] as? [String: Any])
            let lower = try XCTUnwrap(b["lower"] as? Int), upper = try XCTUnwrap(b["upper"] as? Int)
            XCTAssertEqual(upper, lower + 1, "\(t)")
            let verdicts = Dictionary(((b["evaluations"] as? [[String: Any]]) ?? []).map { ($0["dimension"] as! Int, $0["verdict"] as! String) },
                                      uniquingKeysWith: { a, _ in a })
            XCTAssertEqual(verdicts[upper], "separable", "\(t)")
            if lower > 0 { XCTAssertEqual(verdicts[lower], "not-separable", "\(t)") }
            // The CSV's derived columns, in the JSON too (QA round 11), agreeing with the bracket.
            XCTAssertEqual(t["status"] as? String, "decided")
            XCTAssertEqual(t["d_star"] as? Int, upper, "\(t)")
            XCTAssertEqual(t["d_lower"] as? Int, upper, "\(t)")
            XCTAssertEqual(t["d_star_over_m"] as? Double, Double(upper) / 12, "\(t)")
            XCTAssertEqual(t["decisions"] as? Int, verdicts.count > 0 ? (b["evaluations"] as! [Any]).count : -1, "\(t)")
            ratios[t["model"] as! String, default: []].append(Double(upper) / 12)
        }
        let points = try XCTUnwrap(json["points"] as? [[String: Any]])
        XCTAssertEqual(points.map { $0["model"] as? String }, ["real", "null-uniform"])
        for p in points {
            XCTAssertEqual(p["undecided"] as? Int, 0)
            XCTAssertEqual(p["decided"] as? Int, 6)
            let x = ratios[p["model"] as! String]!.sorted()
            XCTAssertEqual(try XCTUnwrap(p["median"] as? Double), (x[2] + x[3]) / 2, accuracy: 1e-15)
            XCTAssertEqual(p["ci_lower"] as? Double, x[0])      // 6 trials: [X₍₁₎, X₍₆₎]
            XCTAssertEqual(p["ci_upper"] as? Double, x[5])
        }
    }

    /// `sweep --json --csv`: the JSON's options are typed as given (numbers as JSON numbers, the
    /// m list as a list, an absent --max-dim as null), and every column of the two CSV files is a key
    /// of the JSON's trials and points with the same value (QA: the points said `contexts` and
    /// `cap_ratio` where the summary says `m` and `cap_over_m`).
    func testSweepJSONOptionsAreTypedAndItsKeysAreTheCSVColumns() throws {
        let dir = temporaryDirectory()
        let npz = try dataSet(dir)
        let csv = dir.appendingPathComponent("s.csv").path
        let run = try ntpsep(["sweep", npz, "--contexts", "12", "--trials", "3", "--null", "uniform", "--seed", "1",
                              "--time-limit", "20", "--json", "--csv", csv])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let options = try XCTUnwrap(json["options"] as? [String: Any])
        XCTAssertEqual(options["contexts"] as? [Int], [12])
        XCTAssertEqual(options["trials"] as? Int, 3)
        XCTAssertEqual(options["seed"] as? Int, 1)
        XCTAssertEqual(options["time_limit"] as? Double, 20)
        XCTAssertEqual(options["min_context_count"] as? Double, 0)
        XCTAssertTrue(options["max_dim"] is NSNull, "\(options)")
        // Numbers, not strings: the raw text has no quoted digits.
        XCTAssertTrue(run.stdout.contains("\"trials\" : 3") || run.stdout.contains("\"trials\":3"), run.stdout)
        func table(_ path: String) throws -> [[String: String]] {
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(lines[0], $0)) }
        }
        func text(_ x: Any?) -> String {
            switch x {
            case nil, is NSNull: return ""
            case let n as NSNumber: return "\(n.doubleValue)"   // no column of either file is a boolean
            default: return "\(x!)"
            }
        }
        for (file, key) in [(csv, "trials"), (dir.appendingPathComponent("s-summary.csv").path, "points")] {
            let rows = try table(file), objects = try XCTUnwrap(json[key] as? [[String: Any]])
            XCTAssertEqual(rows.count, objects.count, key)
            XCTAssertGreaterThan(rows.count, 1, key)
            for (row, object) in zip(rows, objects) {
                for (column, value) in row {
                    XCTAssertNotNil(object[column], "\(key) has no key \(column)")
                    let number = Double(value)
                    XCTAssertEqual(number.map { "\($0)" } ?? value, text(object[column]), "\(key).\(column)")
                }
            }
        }
    }

    /// A known case: every context's support is the whole vocabulary, so there is no margin to
    /// make and one feature separates (d* = 1, no Farkas certificate needed): d*/m = 1/m for every
    /// trial of the real and the null supports (which keep the support sizes).
    func testSweepOfFullSupportsFindsDStarOne() throws {
        let dir = temporaryDirectory()
        let npz = dir.appendingPathComponent("full.npz").path
        try DataSet.fromSupports(Array(repeating: [0, 1, 2], count: 8), vocabulary: 3).writeNPZ(to: npz)
        let run = try ntpsep(["sweep", npz, "--contexts", "8,20", "--trials", "6", "--null", "frequency", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        // m = 20 on 8 contexts is the same sweep as m = 8, run once, and said so.
        XCTAssertTrue(run.stderr.contains("m = 20 exceeds the data's 8 contexts: swept at m = 8"), run.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        for p in try XCTUnwrap(json["points"] as? [[String: Any]]) {
            XCTAssertEqual(p["median"] as? Double, 0.125, "\(p)")
            XCTAssertEqual(p["undecided"] as? Int, 0)
        }
    }
}
