import Foundation
import XCTest
import TestSupport
import NTPFormats
@testable import NTPCore

/// The two layouts of `CertificateFile` on dense Gaussian features: the CSC members (forced by a zero
/// dense limit) must rebuild exactly the dense `W` and `H` (scipy), and both files must pass the numpy script.
final class CertificateFileTests: XCTestCase {
    func testSparseAndDenseLayoutsHoldTheSameMatricesAndVerify() throws {
        var rng = SeededGenerator(seed: 11)
        let rows: [[Int: Double]] = (0..<30).map { _ in
            var row: [Int: Double] = [:]
            for _ in 0..<(1 + Int(rng.next() % 3)) { row[Int(rng.next() % 8)] = 1 }
            return row
        }
        let data = makeData(V: 8, rows: rows)
        let dir = temporaryDirectory()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/verify_certificate.py").path
        // The input rows of a pretend subsample: every third row of a 90-row data set.
        let original = (0..<30).map { 3 * $0 }
        var verdicts: [SeparabilityVerdict] = []
        for d in [3, 40] {
            let features = try ContextFeatures.make(.gaussian(dimension: d, seed: 5), for: data)
            let result = Separability.decide(data, features: features)
            verdicts.append(result.verdict)
            let dense = dir.appendingPathComponent("dense\(d).npz").path, sparse = dir.appendingPathComponent("sparse\(d).npz").path
            try CertificateFile(result, data: data, features: features, originalRows: original).write(to: dense)
            let file = CertificateFile(result, data: data, features: features, originalRows: original, denseEntryLimit: 0)
            XCTAssertEqual(file.summary.layout, "sparse")
            try file.write(to: sparse)
            let out = try Python.run("""
                import numpy as np, scipy.sparse as sp, subprocess, sys
                a, b = np.load('\(dense)'), np.load('\(sparse)')
                csc = lambda z, n: sp.csc_matrix((z[n + '_data'], z[n + '_indices'], z[n + '_indptr']), shape=z[n + '_shape']).toarray()
                assert np.array_equal(csc(b, 'H'), a['H']) and a['H'].shape == (\(d), len(a['rows']))
                if 'W' in a: assert np.array_equal(csc(b, 'W'), a['W']) and a['W'].shape == (8, \(d))
                assert all(np.array_equal(a[k], b[k]) for k in a.files if k not in ('H', 'W'))
                assert set(a['rows']) <= set(range(0, 90, 3))
                for f in ('\(dense)', '\(sparse)'):
                    r = subprocess.run([sys.executable, '\(script)', f], capture_output=True, text=True)
                    print(r.returncode, r.stdout.split(':')[0])
                """)
            let name = result.verdict.rawValue
            XCTAssertEqual(out, "0 VALID \(name)\n0 VALID \(name)\n")
        }
        XCTAssertEqual(verdicts, [.notSeparable, .separable])
    }
}
