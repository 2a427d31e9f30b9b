import XCTest
import TestSupport
import NTPFormats
@testable import NTPCore

/// Equal embeddings with different supports, and zero embeddings: hand-derived Farkas pairs with residual 0.
final class DuplicateContextsTests: XCTestCase {
    /// h̄_0 = h̄_2 = (1, 2), h̄_1 = (0, 1), over V = 4.
    func features(_ columns: [[Double]]) -> ContextFeatures {
        ContextFeatures(dimension: 2, contextCount: columns.count, storage: .dense(columns.flatMap { $0 }))
    }

    func decide(_ supports: [[Int]], _ columns: [[Double]]) throws -> (SeparabilityResult, FarkasCertificate) {
        let data = makeData(V: 4, rows: supports.map { Dictionary(uniqueKeysWithValues: $0.map { ($0, 1.0) }) })
        let h = features(columns)
        let r = Separability.decide(data, features: h)
        XCTAssertEqual(r.verdict, .notSeparable, r.reason ?? "")
        let cert = try XCTUnwrap(r.farkas)
        let check = Separability.verify(cert, data: data, features: h, tolerance: 0)
        XCTAssertTrue(check.valid && check.residualNorm == 0, "\(check)")
        // The exact LP alone agrees.
        var lpOnly = SeparabilityOptions()
        lpOnly.useDuplicateContexts = false; lpOnly.useMinNormPoint = false; lpOnly.useNullSpaceLP = false; lpOnly.useForcedTies = false
        XCTAssertEqual(Separability.decide(data, features: h, options: lpOnly).verdict, .notSeparable)
        return (r, cert)
    }

    func weights(_ list: [ConstraintMultiplier]) -> [[Double]] {
        list.map { [Double($0.context), Double($0.token), $0.weight] }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// S_0 = {0}, S_2 = {1, 2}: z = 0 = a_0 and a_2 = 1 ∉ S_0, so α = ½ on (2, 0) and on (0, 1), and no β.
    func testDisjointSupportsGetHalfAndHalf() throws {
        let (r, cert) = try decide([[0], [3], [1, 2]], [[1, 2], [0, 1], [1, 2]])
        XCTAssertEqual(r.method, "duplicate contexts: contexts #0 and #2 have the same embedding and different supports")
        XCTAssertEqual(weights(cert.marginMultipliers), [[0, 1, 0.5], [2, 0, 0.5]])
        XCTAssertTrue(cert.tieMultipliers.isEmpty)
    }

    /// S_0 = {0, 1, 2}, S_2 = {1}: z = 0 = a_0 and a_2 = 1 ∈ S_0, so α = 1 on (2, 0) and β = −1 on the tie (0, 1).
    func testAnchorInsideTheOtherSupportIsTied() throws {
        let (_, cert) = try decide([[0, 1, 2], [3], [1]], [[1, 2], [0, 1], [1, 2]])
        XCTAssertEqual(weights(cert.marginMultipliers), [[2, 0, 1]])
        XCTAssertEqual(weights(cert.tieMultipliers), [[0, 1, -1]])
    }

    /// S_0 = {1} ⊂ S_2 = {1, 2}: the roles swap, z = 2, α = 1 on (0, 2) and β = 1 on the tie (2, 2).
    func testNestedSupportsSwapRoles() throws {
        let (_, cert) = try decide([[1], [3], [1, 2]], [[1, 2], [0, 1], [1, 2]])
        XCTAssertEqual(weights(cert.marginMultipliers), [[0, 2, 1]])
        XCTAssertEqual(weights(cert.tieMultipliers), [[2, 2, 1]])
    }

    /// h̄_2 = 1e-6·h̄_0 (rounded; QA round 20 found such contexts "at the threshold"): the disjoint-support pair with
    /// context 0's α scaled by 1e-6, then Σα = 1, verified at round-off. h̄_2 = −h̄_0 is no case of it.
    func testParallelContextsGetTheScaledPair() throws {
        let data = makeData(V: 4, rows: [[0], [3], [1, 2]].map { Dictionary(uniqueKeysWithValues: $0.map { ($0, 1.0) }) })
        let parallel = features([[0.3, -1.7], [0, 1], [0.3 * 1e-6, -1.7 * 1e-6]])
        let r = Separability.decide(data, features: parallel)
        XCTAssertEqual(r.verdict, .notSeparable, r.reason ?? "")
        XCTAssertEqual(r.method, "duplicate contexts: contexts #0 and #2 have parallel embeddings (h̄_2 = 1e-06·h̄_0) and different supports")
        let cert = try XCTUnwrap(r.farkas)
        XCTAssertEqual(weights(cert.marginMultipliers).map { $0[2] }, [1e-6 / (1 + 1e-6), 1 / (1 + 1e-6)])
        XCTAssertTrue(cert.tieMultipliers.isEmpty)
        let check = Separability.verify(cert, data: data, features: parallel, tolerance: 1e-12)
        XCTAssertTrue(check.valid, "\(check)")
        let opposite = Separability.decide(data, features: features([[0.3, -1.7], [0, 1], [-0.3, 1.7]]))
        XCTAssertFalse(opposite.method.hasPrefix("duplicate contexts"), opposite.method)
    }

    /// h̄_1 = 0: α = 1 on (1, 0), the first token outside S_1 = {3}.
    func testZeroEmbedding() throws {
        let (r, cert) = try decide([[0], [3], [1, 2]], [[1, 2], [0, 0], [3, 1]])
        XCTAssertEqual(r.method, "duplicate contexts: context #1 has a zero embedding")
        XCTAssertEqual(weights(cert.marginMultipliers), [[1, 0, 1]])
    }

    /// A W whose ties are off by more than its smallest margin proves nothing, however large τ·‖W‖ is:
    /// one context h̄ = 1, S = {0, 1}, V = 3, W = (2, −1, 0) has margin ℓ_0 − ℓ_2 = 2 and tie |ℓ_1 − ℓ_0| = 3,
    /// within τ·√2·‖W‖_F = √10 ≈ 3.16 at τ = 1; W = (2, 0.5, 0) has tie 1.5 < 2 and passes.
    func testTiesOffByMoreThanTheMarginFail() {
        let data = makeData(V: 3, rows: [[0: 1, 1: 1]])
        let h = ContextFeatures(dimension: 1, contextCount: 1, storage: .dense([1]))
        let anchors = Separability.anchors(data)
        let loose = Separability.verify(SeparatingCertificate(weights: [2, -1, 0], anchors: anchors), data: data, features: h, tolerance: 1)
        XCTAssertFalse(loose.valid)
        XCTAssertEqual(loose.failure, "tie violation 3.0 is not below the min margin 2.0: the margins rest on the ties' slack")
        let tight = Separability.verify(SeparatingCertificate(weights: [2, 0.5, 0], anchors: anchors), data: data, features: h, tolerance: 1)
        XCTAssertTrue(tight.valid, tight.failure ?? "")
        XCTAssertEqual(tight.maxTieViolation, 1.5)
    }

    /// Equal embeddings with equal supports prove nothing: the route steps aside and the data are separable.
    func testEqualSupportsStepAside() {
        let data = makeData(V: 4, rows: [[0: 1], [3: 1], [0: 2]])
        let h = features([[1, 2], [0, 1], [1, 2]])
        XCTAssertNil(DuplicateContexts.decide(data, features: h, options: SeparabilityOptions()))
        XCTAssertEqual(Separability.decide(data, features: h).verdict, .separable)
    }
}
