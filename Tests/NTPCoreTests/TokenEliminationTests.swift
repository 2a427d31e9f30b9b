@testable import NTPCore
import NTPFormats
import XCTest

/// The direct token elimination (`DataSubspace.finitePartByElimination`) against two independent computations:
/// the reference's Gram–Schmidt basis of 𝓕 (`TheoryReference.finitePart`, the least-squares W within 𝓕) and the
/// SVD of the explicit log-odds system (`finitePartBySVD`, LAPACK's minimum-norm least squares).
final class TokenEliminationTests: XCTestCase {
    /// The paper's m = 50, V = 10, k = 6 draw under Gaussian H. d = 3 and 8 leave every token constrained (each
    /// holds about 30 contexts) and the data incompatible; at d = 60 every token fits its contexts, every context
    /// shift is free, and the least-norm choice of the shifts alone makes W* (V·d ≥ 250 = Σ(k_j − 1): compatible).
    func testEliminationIsTheLeastSquaresWInF() throws {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 50, vocabulary: 10, support: .fixed(6), seed: 3))
        for d in [3, 8, 20, 60] {
            let features = SyntheticData.gaussianEmbeddings(dimension: d, contexts: 50, scale: 1, seed: 4)
            guard case .dense(let h) = features.storage else { throw XCTSkip("dense embeddings expected") }
            let reference = TheoryReference(data: data, h: h, d: d)
            let star = try DataSubspace(data: data, features: features).solveFinitePart()
            XCTAssertTrue(star.byElimination, "d = \(d)")
            XCTAssertTrue(star.isLeastSquaresResidual, "d = \(d)")
            let expected = reference.finitePart()
            XCTAssertLessThan(refNorm(zip(star.weights, expected).map { $0 - $1 }), 1e-9 * refNorm(expected), "d = \(d)")
            let target = reference.c.flatMap { $0 }
            let residual = refNorm(zip(reference.logOdds(expected), target).map { $0 - $1 }) / refNorm(target)
            XCTAssertEqual(star.relativeResidual, residual, accuracy: 1e-10, "d = \(d)")
            XCTAssertEqual(star.isCompatible, d == 60, "d = \(d): residual \(star.relativeResidual)")
        }
    }

    /// Contexts 40–49 copying 0–9 up to 1e-4 (d = 60 > the contexts per token, so some token blocks are
    /// conditioned near 1e5, just inside what the elimination accepts; at 5e-5 it declines): its first W left
    /// 7e-8 to 9.8e-8 here, QA round 19 saw 4e-8 on the Devil's Dictionary where numpy's lstsq reaches 6e-12, and
    /// `solve` said "NOT compatible" (tolerance 1e-8). One step of iterative refinement brings it to 1.2e-12–1.7e-12.
    func testNearDuplicatesAreRefinedToRoundOff() throws {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 50, vocabulary: 10, support: .fixed(6), seed: 3))
        for seed in [4, 5, 6] as [UInt64] {
            guard case .dense(var h) = SyntheticData.gaussianEmbeddings(dimension: 60, contexts: 50, scale: 1, seed: seed).storage else {
                throw XCTSkip("dense embeddings expected")
            }
            var rng = SeededGenerator(seed: seed + 10)
            for j in 0..<10 { for i in 0..<60 { h[(40 + j) * 60 + i] = h[j * 60 + i] + 1e-4 * rng.nextGaussian() } }
            let star = try DataSubspace(data: data, features: ContextFeatures(dimension: 60, contextCount: 50, storage: .dense(h))).solveFinitePart()
            XCTAssertTrue(star.byElimination, "seed \(seed)")
            XCTAssertLessThan(star.relativeResidual, 1e-11, "seed \(seed)")
        }
    }

    /// With `projectsByElimination`, P_𝓕⊥(W) comes from the elimination (no CG iteration) and is the reference's
    /// projection, as CG's is, at d = 8 (A nonsingular) and d = 60 (every shift free).
    func testProjectionByEliminationIsTheReferenceProjection() throws {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 50, vocabulary: 10, support: .fixed(6), seed: 3))
        var rng = SeededGenerator(seed: 8)
        for d in [8, 60] {
            let features = SyntheticData.gaussianEmbeddings(dimension: d, contexts: 50, scale: 1, seed: 4)
            guard case .dense(let h) = features.storage else { throw XCTSkip("dense embeddings expected") }
            let reference = TheoryReference(data: data, h: h, d: d)
            let w = (0..<(10 * d)).map { _ in rng.nextGaussian() }
            let expected = reference.projectPerp(w)
            let subspace = try DataSubspace(data: data, features: features)
            let iterative = subspace.projectOrthogonal(w)
            XCTAssertGreaterThan(subspace.lastIterations, 0)
            subspace.projectsByElimination = true
            let direct = subspace.projectOrthogonal(w)
            XCTAssertEqual(subspace.lastIterations, 0, "d = \(d)")
            for projection in [iterative, direct] {
                XCTAssertLessThan(refNorm(zip(projection, expected).map { $0 - $1 }), 1e-9 * refNorm(w), "d = \(d)")
            }
        }
    }

    /// Sparse 0/1 features (two nonzeros per context, as positional one-hot has) over a wider vocabulary: each
    /// token's block uses only the features its contexts touch. W and the residual are the SVD's.
    func testSparseFeaturesMatchTheSVD() throws {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 60, vocabulary: 14, support: .fixed(5), seed: 9))
        var rng = SeededGenerator(seed: 11)
        let indices = (0..<60).flatMap { _ -> [Int32] in
            let first = Int32(rng.next() % 7)
            return [first, 7 + Int32(rng.next() % 7)]
        }
        let features = ContextFeatures(dimension: 14, contextCount: 60, storage: .sparse(nonzerosPerContext: 2, indices: indices, values: nil))
        let subspace = try DataSubspace(data: data, features: features)
        let direct = try XCTUnwrap(subspace.finitePartBySVD())
        let star = try XCTUnwrap(subspace.finitePartByElimination())
        XCTAssertFalse(star.isCompatible)
        XCTAssertEqual(star.relativeResidual, direct.relativeResidual, accuracy: 1e-12)
        XCTAssertLessThan(refNorm(zip(star.weights, direct.weights).map { $0 - $1 }), 1e-9 * refNorm(direct.weights))
    }

    /// What float64 cannot settle is left to CGLS and the SVD: contexts 1e-9 apart where a token's contexts are
    /// fewer than d (QA round 18's case: a singular value of the token's block between round-off and 1e-5 of the
    /// largest), and context norms 1e6 apart. With fewer features than contexts per token (d = 20, about 30
    /// contexts each) contexts 1e-7 apart do not make a block ill-conditioned, and the elimination gives the
    /// SVD's residual. A limit of 0 turns it off.
    func testAmbiguousFeaturesAreLeftToTheIterativeSolve() throws {
        let wide = try SyntheticData.generate(SyntheticSpec(contexts: 50, vocabulary: 60, support: .fixed(20), seed: 3))
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 50, vocabulary: 10, support: .fixed(6), seed: 3))
        func gaussian(_ d: Int, edit: (inout [Double]) -> Void) throws -> ContextFeatures {
            guard case .dense(var h) = SyntheticData.gaussianEmbeddings(dimension: d, contexts: 50, scale: 1, seed: 4).storage else {
                throw XCTSkip("dense embeddings expected")
            }
            edit(&h)
            return ContextFeatures(dimension: d, contextCount: 50, storage: .dense(h))
        }
        func nearlyParallel(_ noise: Double, _ d: Int) -> (inout [Double]) -> Void {
            { h in
                var rng = SeededGenerator(seed: 5)
                for j in 0..<10 { for i in 0..<d { h[(40 + j) * d + i] = h[j * d + i] + noise * rng.nextGaussian() } }
            }
        }
        let ambiguous = [(wide, try gaussian(30, edit: nearlyParallel(1e-9, 30))),
                         (data, try gaussian(60) { h in for i in 0..<300 { h[i] *= 1e3 }; for i in 300..<600 { h[i] *= 1e-3 } })]
        for (set, features) in ambiguous {
            let subspace = try DataSubspace(data: set, features: features)
            XCTAssertNil(subspace.finitePartByElimination())
            XCTAssertFalse(subspace.solveFinitePart().byElimination)
        }
        let tall = [try gaussian(20, edit: nearlyParallel(1e-7, 20)),
                    try gaussian(20) { h in for i in 0..<100 { h[i] *= 1e3 }; for i in 100..<200 { h[i] *= 1e-3 } }]
        for features in tall {
            let subspace = try DataSubspace(data: data, features: features)
            let direct = try XCTUnwrap(subspace.finitePartBySVD())
            let star = try XCTUnwrap(subspace.finitePartByElimination())
            XCTAssertEqual(star.relativeResidual, direct.relativeResidual, accuracy: 1e-9 * direct.relativeResidual)
        }

        let plain = try DataSubspace(data: data, features: try gaussian(20) { _ in })
        plain.eliminationContextLimit = 0
        let iterative = plain.solveFinitePart()
        XCTAssertFalse(iterative.byElimination)
        plain.eliminationContextLimit = 50
        XCTAssertEqual(plain.solveFinitePart().relativeResidual, iterative.relativeResidual, accuracy: 1e-6 * iterative.relativeResidual)
    }

    /// Past `eliminationContextLimit`, with `acceptsLeastSquaresSolution`, CG on the shifts (`IterativeTokenElimination`)
    /// reaches the direct elimination's least-squares residual; its W is a least-squares one, at least as long as W*
    /// (the least-norm one), and CGLS, which `solve` keeps, gives the same residual. m = 200 contexts over 15 tokens:
    /// at d = 4 and 12 every token constrains its contexts; at d = 40 the rarer tokens fit theirs.
    func testIterativeEliminationReachesTheLeastSquaresResidual() throws {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 200, vocabulary: 15, support: .fixed(4), seed: 7))
        for d in [4, 12, 40] {
            let features = SyntheticData.gaussianEmbeddings(dimension: d, contexts: 200, scale: 1, seed: 8)
            let star = try DataSubspace(data: data, features: features).solveFinitePart()
            XCTAssertTrue(star.byElimination && star.iterations == 0, "d = \(d): the direct elimination")
            let subspace = try DataSubspace(data: data, features: features)
            subspace.eliminationContextLimit = 100
            subspace.acceptsLeastSquaresSolution = true
            let iterative = subspace.solveFinitePart()
            XCTAssertTrue(iterative.byElimination && iterative.iterations > 0, "d = \(d)")
            XCTAssertTrue(iterative.isLeastSquaresResidual, "d = \(d)")
            XCTAssertEqual(iterative.relativeResidual, star.relativeResidual, accuracy: 1e-9 * star.relativeResidual, "d = \(d)")
            XCTAssertGreaterThanOrEqual(refNorm(iterative.weights), refNorm(star.weights) * (1 - 1e-9), "d = \(d)")
            subspace.acceptsLeastSquaresSolution = false
            let cgls = subspace.solveFinitePart()
            XCTAssertFalse(cgls.byElimination, "d = \(d): W* past the limit is CGLS's")
            XCTAssertEqual(cgls.relativeResidual, star.relativeResidual, accuracy: 1e-6 * star.relativeResidual, "d = \(d)")
        }
    }

    /// Per-token SVDs past `factorWorkLimit` run when they fit half the time left at `factorWorkPerSecond` (2e9 a
    /// second), or without a deadline up to `unboundedFactorWork` (2e11); below the limit they always run. With the
    /// limit at 0 and 60 s left, 5.9e10 (29.5 s) is affordable and 6.2e10 (31 s) is not.
    func testFactorWorkPastTheLimitRunsWhenTheTimeLeftAffordsIt() throws {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 200, vocabulary: 15, support: .fixed(4), seed: 7))
        let features = SyntheticData.gaussianEmbeddings(dimension: 12, contexts: 200, scale: 1, seed: 8)
        let subspace = try DataSubspace(data: data, features: features)
        XCTAssertTrue(subspace.affordsFactorWork(2e11) && !subspace.affordsFactorWork(2.02e11), "no deadline: up to 2e11")
        subspace.factorWorkLimit = 0
        subspace.deadline = monotonicSeconds() + 60
        XCTAssertTrue(subspace.affordsFactorWork(5.9e10))
        XCTAssertFalse(subspace.affordsFactorWork(6.2e10))
        XCTAssertNotNil(subspace.tokenFactors(), "this data's work (below 1e6) fits 60 s")
        XCTAssertEqual(subspace.hasNearlyParallelContexts(), false)
        subspace.deadline = monotonicSeconds() - 1
        XCTAssertNil(subspace.tokenFactors(), "past the deadline nothing past the limit is affordable")
        XCTAssertNil(subspace.hasNearlyParallelContexts(), "cannot tell")
        subspace.factorWorkLimit = 1e10
        XCTAssertTrue(subspace.affordsFactorWork(1e10), "below the limit, whatever the deadline")
        XCTAssertNil(subspace.tokenFactors(), "the factors stop at the deadline")
    }
}
