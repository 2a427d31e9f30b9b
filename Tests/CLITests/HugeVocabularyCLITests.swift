import XCTest
import TestSupport
import Foundation

/// A data set that declares V = 2³¹ − 1 with two nonzeros: every command answers at once, in a
/// process limited to 4 GB of address space: in time and memory proportional to the nonzeros
/// (one-hot check, stats), or refused up front in one line (whatever needs V-sized dense arrays).
final class HugeVocabularyCLITests: XCTestCase {
    /// `ntpsep` with `arguments` under `ulimit -v 4000000` (KiB), in `dir`.
    private func limited(_ arguments: [String], in dir: URL) throws -> Run {
        let binary = Bundle.main.bundleURL.appendingPathComponent("ntpsep").path
        return try CLITests.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "cd \"$1\" && shift && ulimit -v 4000000 && exec \"$@\"", "sh", dir.path, binary] + arguments)
    }

    func testHugeVocabularyIsDecidedOrRefusedAtOnce() throws {
        let dir = temporaryDirectory()
        try shell("""
            cd '\(dir.path)' && python3 -c "import numpy as np; np.savez('big.npz', indices=np.array([0, 5], '<i4'), indptr=np.array([0, 1, 2], '<i4'), format=np.array(b'csr'), shape=np.array([2, 2**31 - 1], '<i8'), data=np.array([1, 1], '<i8'))"
            """)
        let check = try limited(["check", "big.npz", "--no-compat", "--gap-steps", "0", "--certificate", "c.npz"], in: dir)
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stdout.contains("separable     yes — W ⊥ 𝓕 with every margin ≥ 1 verified"), check.stdout)
        XCTAssertTrue(check.stdout.contains("wrote c.npz (separating W, sparse, 2 contexts)"), check.stdout)
        let stats = try limited(["stats", "big.npz"], in: dir)
        XCTAssertEqual(stats.status, 0, stats.stderr)
        let refusals: [([String], String)] = [
            (["check", "big.npz"], "holding W (V × d = 2147483647 × 2) for the compatibility solve and the entropy gap needs 128 GiB"),
            (["check", "big.npz", "--embedding", "gaussian:3", "--no-compat", "--gap-steps", "0"],
             "a dense W (V × d = 2147483647 × 3) needs 48.0 GiB"),
            (["sweep", "big.npz", "--contexts", "2", "--trials", "1"],
             "deciding separability with dense features (W: V × d = 2147483647 × 1, logits: V × m = 2147483647 × 2) needs 48.0 GiB"),
            (["train", "big.npz", "--steps", "1"], "the loss's workspace (logits of 64 contexts × V = 2147483647) needs 1024 GiB"),
            (["solve", "big.npz", "-o", "s.npz"], "the data subspace (V = 2147483647, m = 2, d = 2) needs 64.0 GiB"),
        ]
        for (arguments, message) in refusals { assertFails(try limited(arguments, in: dir), with: message) }
    }
}
