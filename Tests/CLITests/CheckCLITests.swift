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
}
