import Foundation
import XCTest
import NTPFormats
@testable import NTPCore

final class ThresholdSearchTests: XCTestCase {

    /// A monotone oracle with threshold `star` (separable iff D ≥ star), optionally undecided on some D.
    private func oracle(_ star: Int, undecided: Set<Int> = [], calls: UnsafeMutablePointer<[Int]>? = nil)
        -> (Int) -> (verdict: SeparabilityVerdict, seconds: Double) {
        return { d in
            calls?.pointee.append(d)
            if undecided.contains(d) { return (.undecided, 0) }
            return (d >= star ? .separable : .notSeparable, 0)
        }
    }

    /// Every threshold 1…40 (and "never") under cap 40 is found exactly, with a Farkas point at
    /// D* − 1 and a W at D*, in at most ⌈log₂ 41⌉ + 1 = 7 decisions; a correct hint needs exactly 2.
    func testBisectionFindsEveryThresholdWithBothCertificates() {
        for star in 1...41 {
            let b = ThresholdSearch.run(cap: 40, decide: oracle(star))
            if star == 41 {
                XCTAssertTrue(b.isAboveCap); XCTAssertNil(b.threshold); XCTAssertEqual(b.lower, 40)
            } else {
                XCTAssertEqual(b.threshold, star); XCTAssertEqual(b.lower, star - 1); XCTAssertEqual(b.upper, star)
                XCTAssertFalse(b.isAboveCap)
            }
            XCTAssertLessThanOrEqual(b.evaluations.count, 7, "D* = \(star)")
            if star <= 40 {
                let hinted = ThresholdSearch.run(cap: 40, hint: star, decide: oracle(star))
                XCTAssertEqual(hinted.evaluations.map(\.dimension), star == 1 ? [1] : [star, star - 1])
                XCTAssertEqual(hinted.threshold, star)
                // A wrong hint costs a few decisions but not the answer.
                XCTAssertEqual(ThresholdSearch.run(cap: 40, hint: 41 - star, decide: oracle(star)).threshold, star)
            }
        }
        // probeCapFirst: the cap (40) is the first decision.
        XCTAssertEqual(ThresholdSearch.run(cap: 40, probeCapFirst: true, decide: oracle(9)).evaluations.first?.dimension, 40)
    }

    /// D* = 13 with D = 12 undecided: 11 is proven not separable and 13 separable, so D* ∈ [12, 13]
    /// (12 might be separable), undecided; never "not separable". With every D in 10…20 undecided and
    /// maxUnresolved 3 the search stops after three of them.
    func testUndecidedDecisionsLeaveAnInterval() {
        let b = ThresholdSearch.run(cap: 40, decide: oracle(13, undecided: [12]))
        XCTAssertFalse(b.isDecided)
        XCTAssertNil(b.threshold)
        XCTAssertEqual(b.lower, 11); XCTAssertEqual(b.upper, 13)
        XCTAssertEqual(b.evaluations.filter { $0.verdict == .undecided }.map(\.dimension), [12])

        let wide = ThresholdSearch.run(cap: 40, maxUnresolved: 3, decide: oracle(15, undecided: Set(10...20)))
        XCTAssertEqual(wide.evaluations.filter { $0.verdict == .undecided }.count, 3)
        XCTAssertFalse(wide.isDecided)
        XCTAssertLessThanOrEqual(wide.lower, 9); XCTAssertGreaterThanOrEqual(wide.upper ?? 99, 21)
        // Cap undecided and nothing separable below: the upper end is unknown.
        let open = ThresholdSearch.run(cap: 5, decide: oracle(6, undecided: [5]))
        XCTAssertEqual(open.lower, 4); XCTAssertNil(open.upper); XCTAssertFalse(open.isDecided); XCTAssertFalse(open.isAboveCap)
        // A hint, then three undecided decisions: with a cheap cap, it is decided last, and bounds D*
        // (QA round 9: a Gaussian sweep trial reported [1, ∞] although d = m is separable).
        let hinted = ThresholdSearch.run(cap: 40, hint: 20, probeCapFirst: true, maxUnresolved: 3,
                                         decide: oracle(25, undecided: Set(15...30)))
        XCTAssertEqual(hinted.evaluations.map(\.dimension).last, 40)
        XCTAssertEqual(hinted.upper, 40); XCTAssertEqual(hinted.lower, 0)
        XCTAssertNil(ThresholdSearch.run(cap: 40, hint: 20, maxUnresolved: 3, decide: oracle(25, undecided: Set(15...30))).upper)
    }

    /// The search against a brute-force scan of every d on real instances (V = 30, Gaussian
    /// features nested by construction; m = 20–30): the scan's verdicts are monotone in d, and the bisection
    /// (with and without a hint) returns the scan's smallest separable d.
    func testBisectionAgreesWithBruteForceScan() throws {
        let corpus = SyntheticText.zipfianMarkov(vocabularySize: 30, length: 4000, seed: 5)
        let instances: [(String, DataSet)] = [
            ("top 24", DataSetSampling.choose(corpus, count: 24, choice: .mostFrequent).data),
            ("random 30", DataSetSampling.choose(corpus, count: 30, choice: .randomContexts, seed: 2).data),
            ("uniform null of top 20", NullModel.uniform.sample(DataSetSampling.choose(corpus, count: 20, choice: .mostFrequent).data, seed: 7)),
            ("frequency null of top 24", NullModel.frequency.sample(DataSetSampling.choose(corpus, count: 24, choice: .mostFrequent).data, seed: 8)),
        ]
        var stars: [Int] = []
        for (name, data) in instances {
            let m = data.contextCount
            func decide(_ d: Int) throws -> SeparabilityVerdict {
                Separability.decide(data, features: try ContextFeatures.make(.gaussian(dimension: d, seed: 3), for: data)).verdict
            }
            let scan = try (1...m).map(decide)
            XCTAssertTrue(scan.allSatisfy { $0 == .separable || $0 == .notSeparable }, "\(name): \(scan)")
            guard let first = scan.firstIndex(of: .separable) else { XCTFail("\(name): never separable at d ≤ m"); continue }
            XCTAssertTrue(scan[first...].allSatisfy { $0 == .separable }, "\(name): not monotone: \(scan)")
            let star = first + 1
            stars.append(star)
            for hint in [nil, 1, star, m] as [Int?] {
                let b = try ThresholdSearch.run(cap: m, hint: hint) { (try decide($0), 0) }
                XCTAssertEqual(b.threshold, star, "\(name), hint \(String(describing: hint))")
                XCTAssertEqual(b.lower, star - 1)
            }
        }
        // Not all at a bracket edge: the instances have thresholds strictly inside 1…m.
        XCTAssertTrue(stars.allSatisfy { $0 > 1 }, "\(stars)")
        XCTAssertTrue(zip(stars, instances).contains { $0 < $1.1.contextCount }, "\(stars)")
    }

    /// The sweep's trials are those brute-force thresholds: for each (model, trial) the bracket is
    /// exact, the point's median and interval are the order statistics of the trials' d*/m, and the
    /// CSV rows carry them.
    func testSweepTrialsAndPointStatistics() throws {
        let corpus = SyntheticText.zipfianMarkov(vocabularySize: 30, length: 4000, seed: 5)
        var o = SweepOptions(contextCounts: [16], trials: 6, seed: 40)
        o.nulls = [.frequency]
        let r = try Sweep.run(corpus, options: o)
        XCTAssertEqual(r.points.map(\.model), ["real", "null-frequency"])
        XCTAssertEqual(r.trials.count, 12)
        let chosen = DataSetSampling.choose(corpus, count: 16, choice: .mostFrequent).data
        for t in r.trials {
            let data = t.model == "real" ? chosen : NullModel.frequency.sample(chosen, seed: 40 + 1_000_003 + UInt64(t.trial))
            XCTAssertEqual(t.embeddingSeed, 40 + UInt64(t.trial))
            let scan = try (1...16).map {
                Separability.decide(data, features: try ContextFeatures.make(.gaussian(dimension: $0, seed: t.embeddingSeed), for: data)).verdict
            }
            XCTAssertEqual(t.bracket.threshold, scan.firstIndex(of: .separable).map { $0 + 1 }, "\(t.model) \(t.trial): \(scan)")
        }
        for p in r.points {
            let values = r.trials.filter { $0.model == p.model }.map { Double($0.bracket.threshold!) / 16 }.sorted()
            XCTAssertEqual(p.decided, 6); XCTAssertEqual(p.undecided, 0)
            XCTAssertEqual(p.median, (values[2] + values[3]) / 2)
            XCTAssertEqual(p.ciLower, values[0]); XCTAssertEqual(p.ciUpper, values[5])   // n = 6: [X₍₁₎, X₍₆₎]
            XCTAssertEqual(p.coverage!, 1 - 2.0 / 64, accuracy: 1e-12)
        }
        let rows = r.trialsCSV().split(separator: "\n")
        XCTAssertEqual(rows.count, 13)
        let t0 = r.trials[0]
        XCTAssertEqual(rows[1], "real,16,0,40,,decided,\(t0.bracket.threshold!),\(t0.bracket.lower + 1),\(t0.bracket.upper!),\(t0.ratio!),\(t0.bracket.evaluations.count)")
        XCTAssertEqual(r.summaryCSV().split(separator: "\n").count, 3)
    }

    /// Two trials at a time: the proven thresholds are those of one at a time, the trials of a batch
    /// share the hint of the batches before them (so trial 1 searches exactly as trial 0 did, from
    /// no hint), the run repeats itself exactly, and the callbacks come in trial order.
    func testConcurrentTrialsProveTheSameThresholdsDeterministically() throws {
        let corpus = SyntheticText.zipfianMarkov(vocabularySize: 30, length: 4000, seed: 5)
        var one = SweepOptions(contextCounts: [16], trials: 5, seed: 40)
        one.nulls = [.uniform]
        one.trialsAtOnce = 1
        var two = one
        two.trialsAtOnce = 2
        let sequential = try Sweep.run(corpus, options: one)
        var lines: [String] = [], names: [String] = [], files: [String] = []
        let concurrent = try Sweep.run(corpus, options: two, progress: { lines.append($0) },
                                       trialData: { name, _ in names.append(name) }, certificates: { name, _ in files.append(name) })
        XCTAssertEqual(concurrent.trials.map(\.bracket.threshold), sequential.trials.map(\.bracket.threshold))
        XCTAssertTrue(concurrent.trials.allSatisfy { $0.bracket.isDecided })
        XCTAssertEqual(try Sweep.run(corpus, options: two), concurrent)
        for model in ["real", "null-uniform"] {
            let trials = concurrent.trials.filter { $0.model == model }
            // No hint for the first batch: both trials probe the cap first.
            XCTAssertEqual(trials[0].bracket.evaluations.first?.dimension, 16, model)
            XCTAssertEqual(trials[1].bracket.evaluations.first?.dimension, 16, model)
            // The second batch starts from the median of the first batch's thresholds (the lower middle).
            let firstBatch = trials[0...1].map { $0.bracket.threshold! }.sorted()
            XCTAssertEqual(trials[2].bracket.evaluations.first?.dimension, firstBatch[0], model)
            XCTAssertEqual(trials[3].bracket.evaluations.first?.dimension, firstBatch[0], model)
        }
        XCTAssertEqual(names, (0..<5).map { "real-m16-t\($0)" } + (0..<5).map { "null-uniform-m16-t\($0)" })
        XCTAssertEqual(lines, concurrent.trials.map(Sweep.describe))
        XCTAssertEqual(files.count, 20)   // both ends of every bracket (no threshold at D = 1)
        XCTAssertEqual(files.first, "real-m16-t0-d\(concurrent.trials[0].bracket.lower)")
    }
}
