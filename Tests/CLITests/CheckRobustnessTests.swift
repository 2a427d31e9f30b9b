import XCTest
import TestSupport
import Foundation

/// `check`: the certificate output never overwrites an input, and the report and certificate are
/// the same bytes every run and for any BLAS thread count (all seconds under `timing`).
final class CheckRobustnessTests: XCTestCase {
    private let base = ["check", "d.npz", "--embedding", "gaussian:8:1", "--gap-steps", "20", "--gap-bound-products", "200"]

    func testCertificateOutputsThatAreInputsOrNotFilesAreRefused() throws {
        let dir = try folderWithData()
        try assertOutputPathsRefused(in: dir, input: "d.npz") { self.base + ["--certificate", $0] }
        try assertRefused(base + ["--embedding", "file:h.npy", "--certificate", "h.npy"], in: dir, untouched: ["h.npy"],
                          fragment: "it is an input of this command")
    }

    /// The compatibility solve, the entropy gap's Adam run and the NTP-SVM hold V × d arrays: on a
    /// whole corpus (Debian's German fortunes, V = 48,865 by m = 226,404 one-hot contexts) `check`
    /// aborted on an 88 GB allocation. Here V = 10⁶ over 10⁵ one-hot contexts (8 · 10¹¹ bytes per
    /// array): one line naming the way out, before anything is decided or written.
    func testWSpaceSolvesThatCannotFitAreRefusedUpFront() throws {
        let dir = temporaryDirectory()
        try shell("cd '\(dir.path)' && python3 -c \"import numpy as np, scipy.sparse as sp; m = 10**5; "
                  + "sp.save_npz('wide.npz', sp.csr_matrix((np.ones(m), (np.arange(m), np.arange(m) * 7)), shape=(m, 10**6)))\"")
        let certificate = dir.appendingPathComponent("c.npz")
        let run = try ntpsep(["check", dir.appendingPathComponent("wide.npz").path, "--certificate", certificate.path])
        assertFails(run, with: "holding W (V × d = 1000000 × 100000) for the compatibility solve", noFileAt: certificate)
        XCTAssertTrue(run.stderr.contains("--no-compat --gap-steps 0"), run.stderr)
    }

    func testDevFullIsReportedAndNotReplaced() throws {
        try assertDevFullReported(in: try folderWithData(), base + ["--certificate", "/dev/full"])
    }

    func testSignalsLeaveNoTemporaryFiles() throws {
        try assertSignalsLeaveNothing(in: try folderWithData(), base + ["--certificate", "c.npz"])
    }

    /// Not separable (d = 8 < what 30 contexts need) and separable (d = 40): the Farkas weights,
    /// residuals and bounds used to change run to run (a Dictionary's order fed a sum).
    func testSameBytesEveryRunAndThreadCount() throws {
        let dir = try folderWithData()
        for embedding in ["gaussian:8:1", "gaussian:40:1"] {
            let runs = try repeatedRuns(["check", "d.npz", "--embedding", embedding, "--json", "--certificate", "c.npz",
                                         "--gap-steps", "50", "--max-contexts", "25", "--seed", "3"], in: dir,
                                        outputs: ["c.npz"], times: 4) { ["OPENBLAS_NUM_THREADS": "\($0 % 2 + 1)"] }
            let first = try JSONSerialization.jsonObject(with: runs[0][0]) as! [String: Any]
            XCTAssertNotNil(first["timing"])
            XCTAssertEqual((first["options"] as? [String: Any])?["seed"] as? Int, 3)
            XCTAssertFalse(String(decoding: try withoutTiming(runs[0][0]), as: UTF8.self).contains("seconds"))
            for run in runs.dropFirst() {
                XCTAssertEqual(try withoutTiming(run[0]), try withoutTiming(runs[0][0]), embedding)
                XCTAssertEqual(run[1], runs[0][1], embedding)
            }
        }
    }
}
