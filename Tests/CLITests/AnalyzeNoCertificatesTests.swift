import XCTest
import TestSupport
import Foundation

/// `analyze --no-certificates`: no certificates/ folder and no data-checks.npz, and every place
/// that would name them says that none were written.
final class AnalyzeNoCertificatesTests: XCTestCase {
    func testNoCertificatesWritesNoneAndSaysSo() throws {
        let (run, out) = try analyzeTinyCorpus(["--no-certificates", "--check-contexts", "40", "--check-vocab", "20",
                                                                "--sweep-contexts", "12", "--scale-contexts", "40", "--steps", "20",
                                                                "--gap-steps", "10", "--threshold-contexts", "12", "--trials", "2",
                                                                "--sweep-time-limit", "5"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let written = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(written, ["analysis.json", "corpus.svg", "data.npz", "report.html", "sweep-summary.csv", "sweep.csv", "sweep.svg",
                                 "training-adam.csv", "training-gd.csv", "training-ngd.csv", "training.svg"])
        XCTAssertTrue(run.stdout.contains("certificates: none written (--no-certificates)"), run.stdout)
        XCTAssertFalse(run.stdout.contains("verify_certificate.py"), run.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("analysis.json"))) as? [String: Any])
        XCTAssertEqual(json["certificates_written"] as? Bool, false)
        let checks = try XCTUnwrap(json["checks"] as? [[String: Any]])
        XCTAssertEqual(checks.count, 10)
        for c in checks { XCTAssertTrue(c["certificate_file"] is NSNull, "\(c["embedding"] ?? "?")") }
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("No certificate files were written (--no-certificates)"))
        XCTAssertFalse(html.contains("certificates/") || html.contains("data-checks.npz"), "the report names files that were not written")
    }
}
