import XCTest
import TestSupport
@testable import NTPCore
import NTPFormats

/// `HullPointMarginBound.bound(multipliers:)` on features that are not dense (positional one-hot): ‖M Hᵀ‖
/// row by row from H's nonzeros, never as a V × d matrix, and the check's upper end on γ* from it.
final class SparseHullBoundTests: XCTestCase {
    /// A separable positional one-hot instance (m = 30 contexts of two tokens over V = 12, d = 24), its
    /// features sparse and the same H dense.
    private func instance() throws -> (DataSet, sparse: ContextFeatures, dense: ContextFeatures) {
        let data = Fixtures.data(m: 30, v: 12, maxSupport: 3, seed: 7, contextLength: 2)
        let sparse = try ContextFeatures.make(.positionalOnehot, for: data)
        guard case .sparse = sparse.storage else { throw XCTSkip("positional one-hot is no longer stored sparse") }
        let dense = ContextFeatures(dimension: sparse.dimension, contextCount: data.contextCount, storage: .dense(sparse.denseMatrix()))
        return (data, sparse, dense)
    }

    /// ‖M̂ Hᵀ‖_F / μ computed the plain way: M̂ is M with its anchor entries set to minus the sum of the
    /// others (column sums 0), μ its off-support mass, the product by a triple loop over the dense H.
    private func plainBound(_ mm: [Double], data: DataSet, h: [Double], d: Int) -> Double {
        let v = data.vocabularySize, m = data.contextCount, anchors = Separability.anchors(data)
        var fixed = mm, mass = 0.0
        for j in 0..<m where data.supportSize(j) > 0 {
            let support = Set((data.rowOffsets[j]..<data.rowOffsets[j + 1]).map { Int(data.columns[$0]) })
            var others = 0.0
            for t in 0..<v where t != anchors[j] {
                others += mm[t * m + j]
                if !support.contains(t) { mass -= mm[t * m + j] }
            }
            fixed[anchors[j] * m + j] = -others
        }
        var squares = 0.0
        for t in 0..<v {
            for f in 0..<d {
                var x = 0.0
                for j in 0..<m where data.supportSize(j) > 0 { x += fixed[t * m + j] * h[j * d + f] }
                squares += x * x
            }
        }
        return squares.squareRoot() / mass
    }

    /// The same M (`MaxMarginSolver`'s dual after one epoch, and at its optimum) gives the same bound from
    /// the sparse and the dense H to 1e-12, that bound is the plain ‖M̂ Hᵀ‖/μ up to its round-off margin
    /// (≤ 1e-11 relative here) and it is ≥ γ* (Wolfe's); the crude M's is well above γ*, the optimal M's
    /// is γ* to 1e-6.
    func testSparseMultiplierBoundEqualsTheDenseOne() throws {
        let (data, sparse, dense) = try instance()
        let sparseBound = try XCTUnwrap(HullPointMarginBound(data: data, features: sparse))
        let denseBound = try XCTUnwrap(HullPointMarginBound(data: data, features: dense))
        XCTAssertNotNil(sparseBound.sparse)
        XCTAssertNil(denseBound.sparse)
        let subspace = try DataSubspace(data: data, features: dense)
        var oneEpoch = MaxMarginSolver(tolerance: 1e-10)
        oneEpoch.timeLimit = 0
        let crude = try oneEpoch.solve(subspace)
        XCTAssertEqual(crude.epochs, 1)
        let optimum = try MaxMarginSolver(tolerance: 1e-10).solve(subspace)
        XCTAssertEqual(optimum.status, .separable)
        // γ* from Wolfe's minimum-norm point at its optimum (the solver's 1/‖W‖ is 9e-12 above it here).
        let wolfe = try XCTUnwrap(Separability.maxMarginByMinNormPoint(data, features: dense))
        XCTAssertNil(wolfe.earlyStop)
        let gamma = wolfe.gamma
        for (name, solution) in [("one epoch", crude), ("optimum", optimum)] {
            let a = try XCTUnwrap(sparseBound.bound(multipliers: solution.multipliers), name)
            let b = try XCTUnwrap(denseBound.bound(multipliers: solution.multipliers), name)
            XCTAssertEqual(a / b, 1, accuracy: 1e-12, name)
            let plain = plainBound(solution.multipliers, data: data, h: dense.denseMatrix(), d: dense.dimension)
            XCTAssertGreaterThanOrEqual(a, plain * (1 - 1e-14), name)
            XCTAssertLessThanOrEqual(a, plain * (1 + 1e-11), name)
            XCTAssertGreaterThanOrEqual(a, gamma * (1 - 1e-12), name)
        }
        let crudeBound = try XCTUnwrap(sparseBound.bound(multipliers: crude.multipliers))
        XCTAssertGreaterThan(crudeBound, gamma * (1 + 1e-3), "one epoch is far from the optimum")
        XCTAssertEqual(try XCTUnwrap(sparseBound.bound(multipliers: optimum.multipliers)) / gamma, 1, accuracy: 1e-6)
        // An M with an off-support entry > 0 is no hull point: no bound, sparse or dense.
        var wrong = optimum.multipliers
        let j = try XCTUnwrap((0..<data.contextCount).first { data.supportSize($0) < data.vocabularySize })
        let support = Set((data.rowOffsets[j]..<data.rowOffsets[j + 1]).map { Int(data.columns[$0]) })
        let t = try XCTUnwrap((0..<data.vocabularySize).first { !support.contains($0) })
        wrong[t * data.contextCount + j] = 1e-9
        XCTAssertNil(sparseBound.bound(multipliers: wrong))
        XCTAssertNil(denseBound.bound(multipliers: wrong))
        // The Frank–Wolfe refinement stays dense-only (its rounds hold four V × d matrices).
        XCTAssertNil(sparseBound.bound(weights: optimum.weights))
    }

    /// The check's NTP-SVM solve on positional one-hot features with the minimum-norm point left out
    /// (tie limit one below the ties): the upper end now comes from `MaxMarginSolver`'s M (it was ∞ on
    /// sparse features) and holds γ*, which Wolfe's minimum-norm point reaches on the dense H; through
    /// `CheckRunner` the bracket closes on it, and the minimum-norm point's own run agrees.
    func testSolverUpperEndOnPositionalOneHotHoldsGammaStar() throws {
        let (data, sparse, dense) = try instance()
        let wolfe = try XCTUnwrap(Separability.maxMarginByMinNormPoint(data, features: dense))
        XCTAssertEqual(wolfe.verdict, .separable)
        XCTAssertNil(wolfe.earlyStop)
        let gamma = wolfe.gamma
        let ties = (0..<data.contextCount).reduce(0) { $0 + max(0, data.supportSize($1) - 1) }
        let solverOnly = try XCTUnwrap(CheckHooks.standard(marginTieLimit: ties - 1).maxMarginNorm)(data, sparse)
        XCTAssertEqual(solverOnly.candidates.map(\.method), ["MaxMarginSolver, projected onto 𝓕⊥"])
        XCTAssertTrue(solverOnly.upper.isFinite)
        XCTAssertGreaterThanOrEqual(solverOnly.upper, gamma * (1 - 1e-12))
        XCTAssertLessThanOrEqual(solverOnly.upper, gamma * (1 + 1e-6))
        let plain = try XCTUnwrap(CheckRunner.run(data, features: sparse, embedding: "test").marginBracket)
        XCTAssertGreaterThan(plain.upper / plain.lower, 2, "the decision alone leaves a wide bracket")
        _ = try checkWithSolverOnly(data, sparse, gamma: gamma)
        let sparseWolfe = try XCTUnwrap(Separability.maxMarginByMinNormPoint(data, features: sparse))
        XCTAssertEqual(sparseWolfe.gamma / gamma, 1, accuracy: 1e-9)
    }
}
