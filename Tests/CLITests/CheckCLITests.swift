import XCTest
import Foundation

final class CheckCLITests: XCTestCase {
    /// "x a" / "y a" / "x b" / "y b" at order 2 with positional one-hot features: contexts x and y
    /// both have support {a, b}; ties make them separable (tie a and b) — one-hot always is.
    func testCheckJSONKeysAndVerdicts() throws {
        let dir = scratchDirectory()
        let corpus = dir.appendingPathComponent("c.txt")
        try "x a\ny a\nx b\ny b\n".write(to: corpus, atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("c.npz")
        XCTAssertEqual(try ntpsep(["ingest", corpus.path, "--tokenizer", "whitespace", "--order", "2", "-o", data.path, "-q"]).status, 0)
        let run = try ntpsep(["check", data.path, "--embedding", "onehot", "--json", "--gap-steps", "50"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        for key in ["compatible", "compat_residual", "separable", "entropy_gap"] { XCTAssertNotNil(json[key], key) }
        XCTAssertEqual(json["separable"] as? Bool, true)
        XCTAssertEqual(json["compatible"] as? Bool, true)
        XCTAssertEqual(json["contexts"] as? Int, 5)   // <s>, x, y, a, b
        let gap = try XCTUnwrap(json["entropy_gap"] as? Double)
        XCTAssertGreaterThan(gap, 0)   // CE > 𝓗 for every finite W
        XCTAssertLessThan(gap, log(6.0))  // and below CE(0) − 𝓗 ≤ log V
        let bad = try ntpsep(["check", data.path, "--embedding", "gaussian:0"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("invalid embedding 'gaussian:0'"), bad.stderr)
    }

    /// A trained W certifies separability once projected onto 𝓕⊥ (its 𝓕 part tends to W*, not 0), and the
    /// numpy script accepts the certificate; a W that separates nothing (zeros) leaves the decision to the solvers.
    func testTrainedWeightsCertifySeparability() throws {
        let dir = scratchDirectory()
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
        XCTAssertTrue(try shell("python3 \(verifierScript) \(cert) \(data)").hasPrefix("VALID"))
        // An all-zero W separates nothing: the solvers decide instead.
        _ = try shell("python3 -c 'import numpy as np; np.save(\"\(w)\", np.zeros((10, 60)))'")
        run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--weights", w, "--gap-steps", "0", "--no-compat", "--json"])
        let again = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(again["verdict"] as? String, "separable")
        XCTAssertNotEqual((again["certificate"] as? [String: Any])?["method"] as? String, "certified from \(w)")
        // A W of the wrong shape is one clear error.
        _ = try shell("python3 -c 'import numpy as np; np.save(\"\(w)\", np.zeros((3, 3)))'")
        run = try ntpsep(["check", data, "--embedding", "file:\(h)", "--weights", w])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("expected W of shape (V, d) = (10, 60)"), run.stderr)
    }
}
