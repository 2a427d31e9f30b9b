import XCTest
import TestSupport
import Foundation

final class AnalyzeCLITests: XCTestCase {
    /// A small corpus written here: enough repeated contexts for every step of analyze.
    static func corpus() -> String {
        let subjects = ["the cat", "the dog", "a bird", "my friend", "the king", "a child"]
        let verbs = ["saw", "likes", "follows", "found", "called"]
        let objects = ["the house", "a tree", "the river", "my hat", "the road", "a song", "the light"]
        var state: UInt64 = 7
        func pick<T>(_ xs: [T]) -> T { state = state &* 6364136223846793005 &+ 1442695040888963407; return xs[Int(state >> 33) % xs.count] }
        return (0..<300).map { _ in "\(pick(subjects)) \(pick(verbs)) \(pick(objects)) ." }.joined(separator: "\n") + "\n"
    }

    func testAnalyzeWritesSelfContainedWellFormedReportAndJSON() throws {
        let dir = temporaryDirectory()
        let input = dir.appendingPathComponent("tiny.txt")
        try Self.corpus().write(to: input, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let run = try ntpsep(["analyze", input.path, "-o", out.path, "--check-contexts", "40", "--check-vocab", "20",
                              "--sweep-contexts", "12", "--scale-contexts", "40", "--steps", "50", "--gap-steps", "30",
                              "--threshold-contexts", "12", "--trials", "6", "--sweep-time-limit", "5"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("report: \(out.path)/report.html"), run.stdout)
        for name in ["report.html", "analysis.json", "data.npz", "corpus.svg", "training.svg", "sweep.svg", "sweep.csv", "sweep-summary.csv", "training-gd.csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), name)
        }
        // Well formed (every element closed in order) and nothing fetched from outside the file.
        let check = try shell("""
            python3 - '\(out.path)/report.html' <<'PY'
            import sys, re
            from html.parser import HTMLParser
            void = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "source", "wbr"}
            class P(HTMLParser):
                def __init__(self):
                    super().__init__(); self.stack = []; self.errors = []; self.external = []
                def handle_starttag(self, tag, attrs):
                    for k, v in attrs:
                        if k in ("src", "href", "xlink:href") or (v and re.search(r"url\\(", v)):
                            self.external.append((tag, k, v))
                    if tag in ("script", "link", "iframe", "img", "object", "embed"):
                        self.external.append((tag, "", ""))
                    if tag not in void: self.stack.append(tag)
                def handle_startendtag(self, tag, attrs):
                    self.handle_starttag(tag, attrs)
                    if tag not in void: self.stack.pop()
                def handle_endtag(self, tag):
                    if not self.stack or self.stack[-1] != tag: self.errors.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
                    else: self.stack.pop()
            text = open(sys.argv[1], encoding="utf-8").read()
            p = P(); p.feed(text); p.close()
            urls = [u for u in re.findall(r"https?://[^\\s\\"'<>)]+", text) if u != "http://www.w3.org/2000/svg"]
            print(len(p.errors), len(p.stack), len(p.external), len(urls), text.count("<svg"), "@import" in text)
            PY
            """)
        XCTAssertEqual(check, "0 0 0 0 3 False\n", "errors, unclosed, external refs, urls, inline svgs (corpus, training, sweep), @import")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("analysis.json"))) as! [String: Any]
        let stats = json["statistics"] as! [String: Any]
        XCTAssertEqual(stats["events"] as? Double, 300 * 7)   // 5 words + "." per line, + </s>
        let checks = json["checks"] as! [[String: Any]]
        // Gaussian dimensions m/4, m/2 and 2m on the 12-context set (embedding seed 0), then separability
        // alone on the 40-context set, then on every context over the whole vocabulary.
        XCTAssertEqual(checks.map { $0["embedding"] as! String },
                       ["onehot", "positional-onehot", "gaussian:3:0", "gaussian:6:0", "gaussian:24:0",
                        "gaussian:10:0", "gaussian:20:0", "gaussian:80:0", "onehot", "positional-onehot"])
        let all = stats["contexts"] as! Int, vocabulary = stats["vocabulary"] as! Int
        XCTAssertEqual(checks.map { $0["contexts"] as! Int }, [40, 40, 12, 12, 12, 40, 40, 40, all, all])
        // 20 kept words + <unk>, <s>, </s>; the whole vocabulary: 22 types (21 words and ".") + <s>, </s>.
        XCTAssertEqual(checks.map { $0["vocabulary"] as! Int }, [23, 23, 23, 23, 23, 23, 23, 23, vocabulary, vocabulary])
        XCTAssertEqual(vocabulary, 24)
        XCTAssertEqual(checks[8]["separable"] as? Bool, true)   // one-hot: the sparse support indicator
        XCTAssertEqual(checks[4]["separable"] as? Bool, true)   // d = 2m: full column rank
        XCTAssertEqual(checks[7]["separable"] as? Bool, true)
        for c in checks[5...] {
            XCTAssertTrue(c["compat_residual"] is NSNull && c["entropy_gap"] is NSNull, "separability alone")
            XCTAssertTrue(["separable", "not-separable"].contains(c["verdict"] as? String), "\(c["verdict"] ?? "nil")")
        }
        XCTAssertEqual(checks[0]["separable"] as? Bool, true)   // one-hot contexts are always separable
        XCTAssertEqual(checks[0]["compatible"] as? Bool, true)
        // The threshold sweep: real and both nulls at m = 12, 6 trials each, every trial accounted for,
        // and the terminal and report say how many were undecided.
        let sweep = json["sweep"] as! [String: Any]
        let points = sweep["points"] as! [[String: Any]]
        XCTAssertEqual(points.map { $0["model"] as! String }, ["real", "null-uniform", "null-frequency"])
        for p in points {
            XCTAssertEqual(p["m"] as? Int, 12)
            XCTAssertEqual((p["decided"] as! Int) + (p["undecided"] as! Int), 6)
        }
        XCTAssertEqual((sweep["trials"] as! [Any]).count, 18)
        let undecided = points.reduce(0) { $0 + ($1["undecided"] as! Int) }
        // Over the whole vocabulary (far below `maxSweepVocabulary`): its certificates name rows of data.npz.
        XCTAssertEqual(sweep["vocabulary"] as? Int, vocabulary)
        XCTAssertEqual(json["sweep_data"] as? String, "data.npz")
        XCTAssertTrue(run.stdout.contains("12 most-frequent contexts over the whole vocabulary (V = \(vocabulary)), 6 trials per model (sweep's default: 20), \(undecided) undecided"), run.stdout)
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("\(undecided) undecided"))
        // The bracket on γ* of every check: d = 2m has a verified W, so its lower end is positive.
        XCTAssertTrue(html.contains("γ* ∈ (max normalized margin)"))
        let bracket = try XCTUnwrap(checks[7]["margin_bracket"] as? [String: Any])
        XCTAssertGreaterThan(bracket["lower"] as? Double ?? 0, 0)
        // … and a closed form, whose bracket now has a finite upper end (`ClosedFormMarginBracket`).
        XCTAssertGreaterThanOrEqual(bracket["upper"] as? Double ?? -1, bracket["lower"] as? Double ?? .infinity)
        let onehot = try XCTUnwrap(checks[0]["margin_bracket"] as? [String: Any])
        XCTAssertEqual(onehot["upper"] as? Double, onehot["lower"] as? Double)   // exact for H = I
        // The corpus figure: support sizes (the share with k_j ≥ 1 is 1 by contexts and by events) and 𝓗 by length.
        XCTAssertTrue(html.contains("Next-token support sizes") && html.contains("Conditional entropy by context length"))
        XCTAssertEqual(json["certificates_written"] as? Bool, true)
        // The training logs load with np.loadtxt: margin_inf_ratio is nan (no γ*_∞ LP in analyze), margin_l2_ratio
        // 0/0 at W = 0, then finite and ≤ 1 (QA round 11: both columns were empty cells, which loadtxt refuses).
        let margins = try shell("""
            cd '\(out.path)' && python3 -c "
            import numpy as np
            for name in ['gd', 'ngd', 'adam']:
                a = np.loadtxt('training-' + name + '.csv', delimiter=',', skiprows=1)
                inf, l2 = a[:, 7], a[:, 8]
                assert np.isnan(inf).all() and np.isnan(l2[0]) and np.isfinite(l2[1:]).all() and (l2[1:] <= 1 + 1e-9).all(), (name, l2)
            print('ok')
            "
            """)
        XCTAssertEqual(margins, "ok\n")
        try assertCertificatesVerify(checks: checks, sweepTrials: sweep["trials"] as! [[String: Any]], folder: out.path)
    }

    /// Every check names its certificate file and the data set whose rows it names, and the numpy
    /// script accepts each against that data set, with the verdict the check printed; the sweep wrote
    /// both ends of every decided trial's bracket, each accepted (null trials' alone).
    private func assertCertificatesVerify(checks: [[String: Any]], sweepTrials: [[String: Any]], folder: String) throws {
        var dataOf: [String: String] = [:], expected: [String] = []
        for c in checks {
            let file = try XCTUnwrap(c["certificate_file"] as? [String: Any])
            let path = file["path"] as! String, data = file["data"] as! String
            XCTAssertEqual(data, (c["contexts"] as! Int) == 40 || (c["contexts"] as! Int) == 12 ? "data-checks.npz" : "data.npz", path)
            XCTAssertTrue(path.hasPrefix("certificates/"), path)
            dataOf[String(path.dropFirst(13))] = folder + "/" + data
            expected.append("\(path.dropFirst(13)) 0 VALID \(c["verdict"] as! String):")
            // A positive entropy-gap lower end comes with the q behind it, over the same rows.
            if let gap = c["gap_certificate_file"] as? String {
                XCTAssertGreaterThan((c["entropy_gap_interval"] as! [Double])[0], 0)
                dataOf[String(gap.dropFirst(13))] = folder + "/" + data
                expected.append("\(gap.dropFirst(13)) 0 VALID entropy-gap-lower:")
            } else if let interval = c["entropy_gap_interval"] as? [Double] {
                XCTAssertEqual(interval[0], 0, path)
            }
            // Every check that solved for compatibility wrote the evidence behind its verdict, over the same rows.
            XCTAssertEqual(c["compat_certificate_file"] is [String: Any], c["compat_residual"] is Double, path)
            if let compat = c["compat_certificate_file"] as? [String: Any] {
                let name = String((compat["path"] as! String).dropFirst(13))
                XCTAssertEqual(name, "compatibility-" + path.dropFirst(13))
                dataOf[name] = folder + "/" + data
                let verdict = (c["compatible"] as? Bool).map { $0 ? "compatible" : "not-compatible" }
                expected.append(compat["kind"] as? String == "none" ? "\(name) 3 UNDECIDED no" : "\(name) 0 VALID \(verdict ?? "?"):")
            }
        }
        for t in sweepTrials {
            let bracket = t["bracket"] as! [String: Any], name = "sweep/\(t["model"]!)-m12-t\(t["trial"]!)"
            guard let upper = bracket["upper"] as? Int else { continue }
            let lower = bracket["lower"] as! Int
            if lower > 0 { expected.append("\(name)-d\(lower).npz 0 VALID not-separable:") }
            expected.append("\(name)-d\(upper).npz 0 VALID separable:")
            if (t["model"] as! String) == "real" { dataOf["\(name)-d\(upper).npz"] = folder + "/data.npz" }
        }
        XCTAssertGreaterThan(expected.count, checks.count + 18)
        XCTAssertTrue(expected.contains { $0.hasSuffix("VALID entropy-gap-lower:") }, "\(expected)")
        XCTAssertEqual(try verifyCertificates(in: folder + "/certificates") { dataOf[$0] }, expected.sorted())
    }

    /// `--quick` takes its budget from the preset, options given override it, and analysis.json
    /// has the wall seconds of every stage under `timing`, adding up to no more than the total.
    /// With `--sweep-max-vocab` below the corpus's vocabulary the sweep runs over the check
    /// vocabulary, says so, and its certificates name rows of data-checks.npz.
    func testQuickPresetAndStageTiming() throws {
        let (run, out) = try analyzeTinyCorpus(["--quick", "--check-contexts", "40", "--check-vocab", "20",
                                                "--sweep-contexts", "12", "--scale-contexts", "24", "--threshold-contexts", "12",
                                                "--sweep-max-vocab", "0"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("analysis.json"))) as! [String: Any]
        XCTAssertEqual(json["preset"] as? String, "quick")
        XCTAssertEqual(json["sweep_data"] as? String, "data-checks.npz")
        XCTAssertEqual((json["sweep"] as! [String: Any])["vocabulary"] as? Int, 23)   // 20 tokens, <unk>, <s>, </s>
        XCTAssertTrue(run.stdout.contains("12 most-frequent contexts over the most frequent tokens (V = 23), 6 trials per model"), run.stdout)
        let verified = try verifyCertificates(in: out.path + "/certificates/sweep") { $0.hasPrefix("real-") ? out.path + "/data-checks.npz" : nil }
        XCTAssertTrue(verified.contains { $0.hasPrefix("real-") })
        for line in verified { XCTAssertTrue(line.contains(" 0 VALID "), line) }
        let budget = json["budget"] as! [String: Any]
        XCTAssertEqual(budget["sweep_max_vocab"] as? Int, 0)
        XCTAssertEqual(budget["steps"] as? Int, 1000)
        XCTAssertEqual(budget["gap_steps"] as? Int, 500)
        XCTAssertEqual(budget["sweep_time_limit"] as? Double, 2)
        XCTAssertEqual(budget["check_time_limit"] as? Double, 10)
        XCTAssertEqual(budget["trials"] as? Int, 6)
        XCTAssertEqual(budget["check_contexts"] as? Int, 40)
        XCTAssertEqual(budget["sweep_contexts"] as? Int, 12)
        XCTAssertEqual(budget["scale_contexts"] as? Int, 24)
        XCTAssertEqual((json["training"] as! [[String: Any]]).map { $0["steps"] as! Int }, [1000, 1000, 1000])
        // The keys of `train --json` (meta's and the log rows'), which they were not.
        let trainKeys: Set = ["optimizer", "lr", "steps", "m", "d", "ce_minus_entropy", "norm_w", "dist_pf_w_wstar", "cos_w_wmm",
                              "cos_w_minus_wstar_wmm"]
        for run in json["training"] as! [[String: Any]] {
            XCTAssertTrue(Set(run.keys).isSubset(of: trainKeys), "\(run.keys.sorted())")
            XCTAssertNotNil(run["lr"]); XCTAssertNotNil(run["norm_w"])
        }
        let timing = json["timing"] as! [String: Double]
        let all = (json["statistics"] as! [String: Any])["contexts"] as! Int
        XCTAssertEqual(Set(timing.keys), ["count", "check_data", "check onehot", "check positional-onehot", "check gaussian:3:0",
                                          "check gaussian:6:0", "check gaussian:24:0", "check gaussian:6:0 (m = 24)",
                                          "check gaussian:12:0 (m = 24)", "check gaussian:48:0 (m = 24)",
                                          "check onehot (m = \(all))", "check positional-onehot (m = \(all))", "training", "sweep", "total"])
        XCTAssertEqual(budget["whole_corpus_time_limit"] as? Double, 60)
        XCTAssertTrue(timing.values.allSatisfy { $0 >= 0 })
        let stages = timing.filter { $0.key != "total" }.values.reduce(0, +)
        XCTAssertLessThanOrEqual(stages, timing["total"]!)
        XCTAssertNil(json["seconds"], "seconds belong under timing only")
    }
}

extension XCTestCase {
    /// Runs `analyze` with `options` on `AnalyzeCLITests.corpus()` written to a new temporary folder:
    /// the run and its output folder.
    func analyzeTinyCorpus(_ options: [String]) throws -> (run: Run, out: URL) {
        let dir = temporaryDirectory()
        let input = dir.appendingPathComponent("tiny.txt")
        try AnalyzeCLITests.corpus().write(to: input, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        return (try ntpsep(["analyze", input.path, "-o", out.path] + options), out)
    }
}
