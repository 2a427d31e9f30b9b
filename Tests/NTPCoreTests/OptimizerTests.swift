import Foundation
import XCTest
import NTPFormats
@testable import NTPCore

final class OptimizerTests: XCTestCase {
    let data = Fixtures.data(m: 17, v: 9, maxSupport: 3, seed: 21)

    func testAdamFirstTwoStepsByHand() {
        let cfg = OptimizerConfig(kind: .adam, learningRate: 0.01)
        var opt = Optimizer(config: cfg, parameterCount: 3)
        var w = [1.0, -2.0, 0.5]
        let g1 = [0.3, -0.04, 0.0], g2 = [0.1, 0.2, -0.5]
        opt.apply(gradient: g1, to: &w)
        // Step 1: m̂ = g, v̂ = g², so the update is η g / (|g| + ε).
        XCTAssertEqual(w[0], 1.0 - 0.01 * 0.3 / (0.3 + 1e-8), accuracy: 1e-15)
        XCTAssertEqual(w[1], -2.0 + 0.01 * 0.04 / (0.04 + 1e-8), accuracy: 1e-15)
        XCTAssertEqual(w[2], 0.5)
        let w1 = w
        opt.apply(gradient: g2, to: &w)
        for i in 0..<3 {
            let m = 0.9 * 0.1 * g1[i] + 0.1 * g2[i]
            let v = 0.99 * 0.01 * g1[i] * g1[i] + 0.01 * g2[i] * g2[i]
            let mh = m / (1 - 0.81), vh = v / (1 - 0.9801)
            XCTAssertEqual(w[i], w1[i] - 0.01 * mh / (vh.squareRoot() + 1e-8), accuracy: 1e-15)
        }
        XCTAssertEqual(opt.state.updates, 2)
    }

    func testNormalizedGDStepHasLengthEta() {
        var opt = Optimizer(config: OptimizerConfig(kind: .ngd, learningRate: 0.25), parameterCount: 2)
        var w = [0.0, 0.0]
        opt.apply(gradient: [3, -4], to: &w)
        XCTAssertEqual(w[0], -0.15, accuracy: 1e-16)
        XCTAssertEqual(w[1], 0.2, accuracy: 1e-16)
        let w1 = w
        opt.apply(gradient: [0, 0], to: &w)   // zero gradient: no step, no NaN
        XCTAssertEqual(w, w1)
    }

    func testDefaultLearningRates() {
        XCTAssertEqual(OptimizerConfig.defaultLearningRate(for: .gd, curvature: 0.25), 4)
        XCTAssertEqual(OptimizerConfig.defaultLearningRate(for: .ngd, curvature: 0.25), 0.01)
        XCTAssertEqual(OptimizerConfig.defaultLearningRate(for: .adam, curvature: 0.25), 0.01)
    }

    func testInitializationParsing() throws {
        XCTAssertEqual(try Initialization(parsing: "zero"), .zero)
        XCTAssertEqual(try Initialization(parsing: "gaussian:42"), .gaussian(seed: 42))
        XCTAssertThrowsError(try Initialization(parsing: "gaussian"))
        let w = Initialization.gaussian(seed: 3).weights(count: 4000, dimension: 4)
        let mean = w.reduce(0, +) / 4000, varr = w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4000
        XCTAssertEqual(varr, 0.25, accuracy: 0.03)        // N(0, 1/d)
        XCTAssertEqual(Initialization.gaussian(seed: 3).value(index: 123, dimension: 4), w[123])
    }
}
