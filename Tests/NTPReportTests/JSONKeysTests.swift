import XCTest
@testable import NTPReport

/// The JSON files keep the keys scripts read (they were hand-built dictionaries before).
final class JSONKeysTests: XCTestCase {
    /// reproduce's summary.json: every key of the toy and the m = 50 run, sorted.
    func testReproductionSummaryKeys() throws {
        let run = ReproductionSummary.Run(lr: 0.5, steps: 10, csv: "paper-m50-gd.csv", ce: 1.5, gap: 0.25, norm: 2,
                                          distance: 0.125, relativeDistance: 0.0625, cosine: 0.75, shiftedCosine: 0.5)
        let summary = ReproductionSummary(
            toy: .init(seed: 39, entropy: 0.5, normWMM: 3, normWStar: 1, wMM: [[1, 2]], h: [[0.5, -0.5]], supports: [[0, 2]]),
            paperM50: .init(seed: 0, embeddingSeed: 1, m: 50, vocabulary: 10, d: 60, samples: 5000, entropy: 1.25,
                            normWStar: 4, normWMM: 3.5, logEvery: 10, runs: ["gd": run]))
        XCTAssertEqual(try JSONText.compact(summary), """
            {"paper_m50":{"V":10,"d":60,"embedding_seed":1,"entropy":1.25,"log_every":10,"m":50,"norm_wmm":3.5,"norm_wstar":4,\
            "runs":{"gd":{"ce":1.5,"ce_minus_entropy":0.25,"cos_w_minus_wstar_wmm":0.5,"cos_w_wmm":0.75,"csv":"paper-m50-gd.csv",\
            "dist_pf_w_wstar":0.125,"lr":0.5,"norm_w":2,"rel_dist_pf_w_wstar":0.0625,"steps":10}},"samples":5000,"seed":0},\
            "toy":{"H":[[0.5,-0.5]],"W_mm":[[1,2]],"entropy":0.5,"norm_wmm":3,"norm_wstar":1,"seed":39,"supports":[[0,2]]}}
            """)
    }

    /// solve's options member: the keys it always had.
    func testSolutionOptionsKeys() throws {
        let options = SolutionFile.RecordedOptions(data: "d/x.npz", embedding: "onehot", tolerance: 1e-06, nonSeparableMargin: 0.0001,
                                                   maxEpochs: 200000, linfTimeLimit: 60, epochs: 12, cglsIterations: 7)
        XCTAssertEqual(try JSONText.compact(options),
                       #"{"cgls_iterations":7,"data":"d\/x.npz","embedding":"onehot","epochs":12,"linf_time_limit":60,"max_epochs":200000,"non_separable_margin":0.0001,"tolerance":1e-06}"#)
    }
}
