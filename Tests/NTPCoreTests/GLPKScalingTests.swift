import CGLPK
import XCTest
@testable import NTPCore

/// `GLPKScaling` must give `glp_scale_prob(GLP_SF_AUTO)`'s factors to the bit, or the ℓ∞ LP would
/// solve differently than before. Two copies of one LP: GLPK scales one, `GLPKScaling` the other.
final class GLPKScalingTests: XCTestCase {
    /// A sparse rows × columns LP, entries 10^U(−spread, spread) with random signs, a few rows and
    /// columns left empty (GLPK counts an empty line as 1), seeded.
    private func makeLP(rows: Int, columns: Int, density: Double, spread: Double, seed: UInt64) -> OpaquePointer {
        glp_term_out(GLP_OFF)
        let lp = glp_create_prob()!
        glp_add_rows(lp, Int32(rows)); glp_add_cols(lp, Int32(columns))
        var rng = SeededGenerator(seed: seed)
        for i in 1...rows where i % 17 != 0 {
            var index: [Int32] = [0], value: [Double] = [0]
            for j in 1...columns where j % 23 != 0 && Double.random(in: 0..<1, using: &rng) < density {
                index.append(Int32(j))
                value.append((Bool.random(using: &rng) ? -1 : 1) * pow(10, Double.random(in: -spread...spread, using: &rng)))
            }
            glp_set_mat_row(lp, Int32(i), Int32(index.count - 1), index, value)
        }
        return lp
    }

    private func assertSameFactors(rows: Int, columns: Int, density: Double, spread: Double, seed: UInt64,
                                   file: StaticString = #filePath, line: UInt = #line) {
        let glpk = makeLP(rows: rows, columns: columns, density: density, spread: spread, seed: seed)
        let ours = makeLP(rows: rows, columns: columns, density: density, spread: spread, seed: seed)
        defer { glp_delete_prob(glpk); glp_delete_prob(ours) }
        glp_scale_prob(glpk, GLP_SF_AUTO)
        GLPKScaling.scaleAutomatically(ours)
        var scaled = false
        for i in 1...Int32(rows) {
            XCTAssertEqual(glp_get_rii(ours, i).bitPattern, glp_get_rii(glpk, i).bitPattern, "row \(i)", file: file, line: line)
            scaled = scaled || glp_get_rii(glpk, i) != 1
        }
        for j in 1...Int32(columns) {
            XCTAssertEqual(glp_get_sjj(ours, j).bitPattern, glp_get_sjj(glpk, j).bitPattern, "column \(j)", file: file, line: line)
            scaled = scaled || glp_get_sjj(glpk, j) != 1
        }
        // Spread 0.9 stays within GLPK's "well scaled" band [0.1, 10] and is skipped; wider ones are not.
        XCTAssertEqual(scaled, spread > 1, "spread \(spread)", file: file, line: line)
    }

    func testFactorsAreGLPKsToTheBit() {
        // Tall and wide (GLPK scales rows or columns first by their worst ratios), sparse and dense.
        assertSameFactors(rows: 300, columns: 120, density: 0.1, spread: 6, seed: 1)
        assertSameFactors(rows: 80, columns: 400, density: 0.3, spread: 3, seed: 2)
        assertSameFactors(rows: 200, columns: 200, density: 0.02, spread: 12, seed: 3)
        assertSameFactors(rows: 50, columns: 60, density: 0.5, spread: 0.9, seed: 4)
    }
}
