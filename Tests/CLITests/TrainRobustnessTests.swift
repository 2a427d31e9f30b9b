import XCTest
import TestSupport
import Foundation

/// `train`: outputs never overwrite inputs, Ctrl-C checkpoints (also with the default
/// --reference auto, whose first log row holds a 0/0 cosine), damaged checkpoints are refused,
/// resuming is bit-identical, and the outputs do not depend on the run or the thread count.
final class TrainRobustnessTests: XCTestCase {
    private let base = ["train", "d.npz", "--embedding", "gaussian:8:1", "--steps", "20"]

    func testOutputsThatAreInputsOrNotFilesAreRefused() throws {
        let dir = try folderWithData()
        try assertOutputPathsRefused(in: dir, input: "d.npz") { self.base + ["--out", $0] }
        for flag in ["--log", "--plot", "--checkpoint"] {
            try assertRefused(base + [flag, "d.npz"], in: dir, untouched: ["d.npz"], fragment: "it is an input of this command")
        }
        try assertRefused(base + ["--embedding", "file:h.npy", "--out", "h.npy"], in: dir, untouched: ["h.npy"],
                          fragment: "it is an input of this command")
        try assertRefused(base + ["--log", "x.csv", "--plot", "x.csv"], in: dir, fragment: "cannot write x.csv twice")
    }

    /// Option values that cannot train are refused before any work (QA: --lr 0 trained nothing, and
    /// --batch-contexts 100 on m = 30 ran as a full batch without a word); --linf-time-limit bounds γ*_∞.
    func testStepSizeBatchAndLPBudgetAreChecked() throws {
        let dir = try folderWithData()
        try assertRefused(base + ["--lr", "0", "-o", "w.npy"], in: dir, fragment: "--lr must be a positive finite number (got 0.0)")
        try assertRefused(base + ["--batch-contexts", "31", "-o", "w.npy"], in: dir, fragment: "--batch-contexts must be in 1...30, the contexts of d.npz (got 31)")
        try assertRefused(base + ["--batch-contexts", "0", "-o", "w.npy"], in: dir, fragment: "--batch-contexts must be in 1...30")
        try assertRefused(base + ["--linf-time-limit", "0", "-o", "w.npy"], in: dir, fragment: "--linf-time-limit must be a positive finite number")
        let run = try watchedRun(base + ["--embedding", "gaussian:24:1", "--linf-time-limit", "0.000001", "-q"], in: dir)
        XCTAssertEqual(run.process.terminationStatus, 0, run.stderr)
    }

    /// W, its gradient and Adam's moments are V × d each: positional one-hot features on Debian's German
    /// fortunes (V = 48,865, d = 97,730) aborted on a 38 GB allocation. Here 70,000 distinct words in
    /// lines of 7 (V = 70,002, d = 2V: 39 GB per array): an error naming the size, no output file.
    func testWeightsThatCannotFitAreRefused() throws {
        let dir = temporaryDirectory()
        let text = (0..<10_000).map { i in (0..<7).map { "w\(i * 7 + $0)" }.joined(separator: " ") }.joined(separator: "\n")
        let data = try ingestWords(text, in: dir, order: 3)
        let out = dir.appendingPathComponent("w.npy")
        let run = try ntpsep(["train", data, "--embedding", "positional-onehot", "--steps", "2", "--optimizer", "adam",
                              "--reference", "none", "-o", out.path])
        XCTAssertEqual(run.status, 1)
        let last = run.stderr.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("Error: training W (V × d = 70002 × 140004) with Adam needs "), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testDevFullIsReportedAndNotReplaced() throws {
        let dir = try folderWithData()
        let run = try watchedRun(base + ["--log", "/dev/full"], in: dir)
        XCTAssertEqual(run.process.terminationReason, .exit)
        XCTAssertNotEqual(run.process.terminationStatus, 0)
        XCTAssertTrue(run.stderr.hasSuffix("Error: cannot write /dev/full: No space left on device\n"), run.stderr)
        var st = stat()
        XCTAssertEqual(stat("/dev/full", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR)
    }

    func testSignalsLeaveNoTemporaryFiles() throws {
        try assertSignalsLeaveNothing(in: try folderWithData(), base + ["--out", "w.npy"])
    }

    /// Ctrl-C with --reference auto on separable data (d = 40 > m = 30): the log's first cosine is
    /// 0/0 and used to abort the checkpoint ("EncodingError.invalidValue: -nan"). Now the checkpoint
    /// and log are written, exit status 130, and resuming it gives exactly the bytes of W and of the
    /// CSV log of an uninterrupted run. A flipped byte in the checkpoint is refused in one line.
    func testCtrlCCheckpointsAndResumeIsBitIdentical() throws {
        for optimizer in ["gd", "adam"] {
            let dir = try folderWithData()
            func args(steps: String) -> [String] {
                ["train", "d.npz", "--embedding", "gaussian:40:1", "--optimizer", optimizer, "--steps", steps,
                 "--log-every", "1000", "--out", "w.npy", "--log", "log.csv"]
            }
            let run = try WatchedRun(args(steps: "3000000"), in: dir)
            XCTAssertTrue(run.wait { run.stderr.contains("step        0") }, run.stderr)
            run.signal(SIGINT)
            XCTAssertEqual(run.process.terminationReason, .exit, run.stderr)
            XCTAssertEqual(run.process.terminationStatus, 130, run.stderr)
            XCTAssertTrue(run.stderr.contains("checkpoint written to w.npy.ckpt"), run.stderr)
            let log = try String(contentsOf: dir.appendingPathComponent("log.csv"), encoding: .utf8)
            XCTAssertTrue(log.hasPrefix(TrainingLogHeader + "\n0,"), log)
            XCTAssertEqual(temporaries(dir), [])
            let ckpt = try Data(contentsOf: dir.appendingPathComponent("w.npy.ckpt"))
            XCTAssertEqual(Array(ckpt.prefix(8)), Array("NTPCKPT2".utf8))
            let header = String(decoding: ckpt.prefix(600), as: UTF8.self)
            XCTAssertTrue(header.contains("\"cosineMM\":null"), header)

            var damaged = ckpt
            damaged[ckpt.count / 2] ^= 0x01
            try damaged.write(to: dir.appendingPathComponent("bad.ckpt"))
            try assertRefused(args(steps: "3000000") + ["--resume", "bad.ckpt"], in: dir, untouched: ["bad.ckpt", "w.npy.ckpt", "log.csv"],
                              fragment: "checksum mismatch")

            // Resume to K = (interrupted step) + 700 against a straight run of K steps: same bytes.
            let stopped = try XCTUnwrap(run.stderr.range(of: #"interrupted at step (\d+)"#, options: .regularExpression))
            let step = Int(run.stderr[stopped].split(separator: " ").last!)!
            let k = "\(step + 700)"
            let resumed = try watchedRun(args(steps: k) + ["--resume", "w.npy.ckpt"], in: dir)
            XCTAssertEqual(resumed.process.terminationStatus, 0, resumed.stderr)
            let resumedBytes = try [Data(contentsOf: dir.appendingPathComponent("w.npy")), Data(contentsOf: dir.appendingPathComponent("log.csv"))]
            let straight = try watchedRun(args(steps: k), in: dir)
            XCTAssertEqual(straight.process.terminationStatus, 0, straight.stderr)
            let straightBytes = try [Data(contentsOf: dir.appendingPathComponent("w.npy")), Data(contentsOf: dir.appendingPathComponent("log.csv"))]
            XCTAssertEqual(resumedBytes[0].count, 128 + 8 * 10 * 40)
            XCTAssertEqual(resumedBytes, straightBytes, optimizer)
        }
    }

    /// Resuming without --reference keeps the interrupted run's reference (recorded in the checkpoint):
    /// QA resumed a --reference none run without repeating it, and the log switched to auto's columns.
    func testResumeKeepsTheCheckpointsReference() throws {
        let dir = try folderWithData()
        let args = ["train", "d.npz", "--embedding", "gaussian:40:1", "--log-every", "1000", "--out", "w.npy", "--log", "log.csv"]
        let run = try WatchedRun(args + ["--steps", "3000000", "--reference", "none"], in: dir)
        XCTAssertTrue(run.wait { run.stderr.contains("step        0") }, run.stderr)
        run.signal(SIGINT)
        XCTAssertEqual(run.process.terminationStatus, 130, run.stderr)
        let stopped = try XCTUnwrap(run.stderr.range(of: #"interrupted at step (\d+)"#, options: .regularExpression))
        let k = "\(Int(run.stderr[stopped].split(separator: " ").last!)! + 700)"
        let resumed = try watchedRun(args + ["--steps", k, "--resume", "w.npy.ckpt"], in: dir)
        XCTAssertEqual(resumed.process.terminationStatus, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("reference: none"), resumed.stderr)
        let resumedLog = try Data(contentsOf: dir.appendingPathComponent("log.csv"))
        let straight = try watchedRun(args + ["--steps", k, "--reference", "none"], in: dir)
        XCTAssertEqual(straight.process.terminationStatus, 0, straight.stderr)
        XCTAssertEqual(resumedLog, try Data(contentsOf: dir.appendingPathComponent("log.csv")))
    }

    /// A streamed one-hot run cannot be resumed (--help says so): Ctrl-C ends it with status 130,
    /// one explanation, and no output or temporary file.
    func testStreamedOnehotCtrlCExits130AndWritesNothing() throws {
        // 400 contexts: 13 blocks of 32 columns, each taken through all steps before Ctrl-C is looked at.
        let dir = temporaryDirectory()
        XCTAssertEqual(try watchedRun(["synth", "--contexts", "400", "--vocab", "10", "--support", "3", "-o", "d.npz", "-q"], in: dir)
            .process.terminationStatus, 0)
        let before = entries(dir)
        let run = try WatchedRun(["train", "d.npz", "--embedding", "onehot", "--steps", "1000000", "--out", "w.npy"], in: dir)
        XCTAssertTrue(run.wait { run.stderr.contains("streaming") }, run.stderr)
        usleep(200_000)
        run.signal(SIGINT)
        XCTAssertEqual(run.process.terminationReason, .exit)
        XCTAssertEqual(run.process.terminationStatus, 130, run.stderr)
        XCTAssertTrue(run.stderr.contains("a streamed one-hot run cannot be resumed"), run.stderr)
        XCTAssertEqual(entries(dir), before)
        let help = try watchedRun(["train", "--help"], in: dir)
        XCTAssertTrue(help.stdout.replacingOccurrences(of: "\n", with: " ").contains("Streamed one-hot runs cannot be resumed"), help.stdout)
    }

    /// W, the CSV log and the JSON log are the same bytes run after run, with 1100 contexts so
    /// that the loss runs in several groups of blocks (block size 512).
    func testSameBytesEveryRun() throws {
        let dir = temporaryDirectory()
        XCTAssertEqual(try watchedRun(["synth", "--contexts", "1100", "--vocab", "10", "--support", "3", "-o", "d.npz", "-q"], in: dir)
            .process.terminationStatus, 0)
        for embedding in ["gaussian:8:1", "onehot"] {
            let outputs = try repeatedRuns(["train", "d.npz", "--embedding", embedding, "--optimizer", "adam", "--steps", "100",
                                            "--log-every", "25", "--threads", "2", "--json", "--out", "w.npy", "--log", "l.csv"],
                                           in: dir, outputs: ["w.npy", "l.csv"], times: 3)
            XCTAssertTrue(String(decoding: outputs[0][0], as: UTF8.self).contains("\"seed\" : 0"))
            XCTAssertEqual(outputs[1], outputs[0], embedding)
            XCTAssertEqual(outputs[2], outputs[0], embedding)
        }
    }

    /// `--threads 1`, `2` and `3` give the same bytes of W, the CSV log and the JSON log: dense
    /// features (1100 contexts: 3 groups of one 512-context block; with --block-size 64, 9 groups
    /// of two), Float32, stochastic batches, one-hot (streamed), and positional features of a
    /// trigram data set (token-major Float64 path, gather/scatter Float32 path). Before the fixed
    /// groups, main's build gave three different W for the dense runs (the loss summed per-worker
    /// gradients, so the partition followed the thread count).
    func testSameBytesForAnyThreadCount() throws {
        let dir = temporaryDirectory()
        XCTAssertEqual(try watchedRun(["synth", "--contexts", "1100", "--vocab", "10", "--support", "3", "-o", "d.npz", "-q"], in: dir)
            .process.terminationStatus, 0)
        // A trigram data set of a seeded word salad (positional features need real contexts).
        var state: UInt64 = 3
        let words = (0..<4000).map { _ -> String in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return ["the", "lord", "and", "of", "said", "unto", "him", "was", "in", "land"][Int(state >> 33) % 10]
        }
        try (stride(from: 0, to: words.count, by: 12).map { words[$0..<min(words.count, $0 + 12)].joined(separator: " ") }
                .joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("t.txt"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try watchedRun(["ingest", "t.txt", "--tokenizer", "whitespace", "--order", "3", "-o", "t.npz", "-q"], in: dir)
            .process.terminationStatus, 0)
        let runs: [[String]] = [
            ["d.npz", "--embedding", "gaussian:8:1"],
            ["d.npz", "--embedding", "gaussian:8:1", "--block-size", "64"],
            ["d.npz", "--embedding", "gaussian:8:1", "--precision", "float32"],
            ["d.npz", "--embedding", "gaussian:8:1", "--batch-contexts", "300"],
            ["d.npz", "--embedding", "onehot"],
            ["t.npz", "--embedding", "positional-onehot"],
            ["t.npz", "--embedding", "positional-gaussian:6:2", "--precision", "float32"],
        ]
        for run in runs {
            let outputs = try [1, 2, 3].map { threads in
                try repeatedRuns(["train"] + run + ["--optimizer", "adam", "--steps", "60", "--log-every", "20", "--json",
                                                    "--threads", "\(threads)", "--out", "w.npy", "--log", "l.csv"],
                                 in: dir, outputs: ["w.npy", "l.csv"], times: 1)[0]
            }
            XCTAssertGreaterThan(outputs[0][1].count, 128, "\(run)")
            XCTAssertEqual(outputs[1], outputs[0], "\(run): --threads 2 vs 1")
            XCTAssertEqual(outputs[2], outputs[0], "\(run): --threads 3 vs 1")
        }
    }
}

/// The CSV header of training logs.
let TrainingLogHeader = "step,ce,ce_minus_entropy,norm_w,dist_pf_w_wstar,cos_w_wmm,cos_w_minus_wstar_wmm,margin_inf_ratio,margin_l2_ratio"

/// QA round 9: the divergence rule and the option checks apply on every training path.
final class TrainDivergenceTests: XCTestCase {
    /// QA round 9's data: 20 contexts, V = 8, support 3, 500 samples, seed 3.
    private func qaData() throws -> URL {
        let dir = temporaryDirectory()
        let made = try watchedRun(["synth", "--contexts", "20", "--vocab", "8", "--support", "3", "--samples", "500", "--seed", "3",
                                   "-o", "s.npz", "-q"], in: dir)
        XCTAssertEqual(made.process.terminationStatus, 0, made.stderr)
        return dir
    }

    /// Streamed one-hot GD and Adam (Float64 and Float32) and stochastic batches stopped with exit 0
    /// and wrote W (entries up to 5.75e298); now each stops as the dense full-batch run does, with its
    /// message, and writes nothing.
    func testEveryPathStopsADivergingRun() throws {
        let dir = try qaData()
        let cases: [([String], String)] = [
            (["--log-every", "2"], "training diverged at step 2 (loss exploded to 1.0448000000000001e+298); try a smaller --lr"),
            (["--optimizer", "adam", "--reference", "none"], "training diverged at step 10 (loss exploded to 2.8165446618861318e+299); try a smaller --lr"),
            (["--log-every", "2", "--precision", "float32"], "training diverged at step 1 (loss of context 0 is"),
            (["--batch-contexts", "5", "--embedding", "gaussian:10"], "training diverged at step 10 (loss exploded to 7.212634821850279e+298); try a smaller --lr"),
            (["--embedding", "gaussian:10", "--log-every", "1"], "training diverged at step 1 (loss exploded to 1.0673144556527298e+298); try a smaller --lr"),
        ]
        for (extra, message) in cases {
            try assertRefused(["train", "s.npz", "--lr", "1e300", "--steps", "10", "-o", "W.npy", "--log", "l.csv", "-q"] + extra,
                              in: dir, untouched: ["s.npz"], fragment: "Error: " + message)
        }
    }

    /// η = 1000 (CE 2.08 → 40.7, far under the divergence rule's 1000×) trained to the end with exit 0 and
    /// no word; it still does (edge-of-stability runs are made on purpose), with one warning line even
    /// under -q whose two CEs are the CSV log's first and last. The default step size gives none.
    func testARunThatEndsAboveItsStartIsFlagged() throws {
        let dir = try qaData()
        let unstable = try watchedRun(["train", "s.npz", "--embedding", "gaussian:6:2", "--lr", "1000", "--steps", "50", "--log-every", "10",
                                       "--reference", "none", "--log", "l.csv", "-o", "W.npy", "-q"], in: dir)
        XCTAssertEqual(unstable.process.terminationStatus, 0, unstable.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("W.npy").path))
        let rows = try String(contentsOf: dir.appendingPathComponent("l.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").map(String.init) }
        let first = try XCTUnwrap(Double(rows.first?[1] ?? "")), last = try XCTUnwrap(Double(rows.last?[1] ?? ""))
        XCTAssertGreaterThan(last, 2 * first, "the case must climb well above its start")
        let warning = unstable.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: CE ended above where it began") }
        XCTAssertEqual(warning.count, 1, unstable.stderr)
        XCTAssertTrue(warning[0].contains(String(format: "(%.6g nats at step 50 against %.6g at step 0)", last, first)), unstable.stderr)
        let stable = try watchedRun(["train", "s.npz", "--embedding", "gaussian:6:2", "--steps", "50", "--reference", "none", "-o", "W.npy", "-q"], in: dir)
        XCTAssertEqual(stable.process.terminationStatus, 0, stable.stderr)
        XCTAssertFalse(stable.stderr.contains("warning"), stable.stderr)
    }

    /// ‖W‖ of finite entries is finite in the log: ‖W‖² overflowed and the table said inf.
    func testNormsOfHugeWeightsAreFinite() throws {
        let dir = try qaData()
        let run = try watchedRun(["train", "s.npz", "--lr", "1e300", "--steps", "1", "--log-every", "1", "--embedding", "gaussian:10"], in: dir)
        XCTAssertEqual(run.process.terminationStatus, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("CE−𝓗 1.067e+298  ‖W‖ 1.6015e+299  ‖P_F W−W*‖ 1.152e+01"), run.stderr)
        XCTAssertFalse(run.stderr.contains("inf"), run.stderr)
    }

    /// A bad --log-every or --block-size is named alone with its value (it was one line about four options).
    func testEachOptionIsNamedAlone() throws {
        let dir = try qaData()
        try assertRefused(["train", "s.npz", "--log-every", "0"], in: dir, fragment: "Error: --log-every must be a positive integer (got 0)")
        try assertRefused(["train", "s.npz", "--block-size", "0"], in: dir, fragment: "Error: --block-size must be a positive integer (got 0)")
        try assertRefused(["train", "s.npz", "--steps", "-1"], in: dir, fragment: "Error: --steps must be 0 or more (got -1)")
    }
}

/// QA round 9: `train --reference SOL.npz` takes only a solution of DATA itself.
final class TrainReferenceFileTests: XCTestCase {
    /// A solution of seed 0's data was taken for seed 1's (same V, m, d and H): every alignment
    /// column was then against the wrong limits. `solve` now stores the data's fingerprint and
    /// train compares it; a solution without one (older files) is still read.
    func testSolutionOfOtherDataIsRefused() throws {
        let dir = try folderWithData()
        XCTAssertEqual(try watchedRun(["synth", "--contexts", "30", "--vocab", "10", "--support", "3", "--seed", "1", "-o", "d1.npz", "-q"],
                                      in: dir).process.terminationStatus, 0)
        let solved = try watchedRun(["solve", "d.npz", "--embedding", "file:h.npy", "-o", "sol.npz", "-q"], in: dir)
        XCTAssertEqual(solved.process.terminationStatus, 0, solved.stderr)
        let train = ["train", "--embedding", "file:h.npy", "--reference", "sol.npz", "--steps", "3", "-o", "w.npy"]
        try assertRefused(train + ["d1.npz"], in: dir, untouched: ["sol.npz"],
                          fragment: "Error: --reference sol.npz is a solution of other data (solved on d.npz, fingerprint 0x")
        try assertRefused(train + ["d1.npz"], in: dir, fragment: "than d1.npz (fingerprint 0x")
        let same = try watchedRun(train + ["d.npz", "-q"], in: dir)
        XCTAssertEqual(same.process.terminationStatus, 0, same.stderr)

        // The file as solve wrote it before the fingerprint: every other member, same order.
        try Python.run("""
            import zipfile
            with zipfile.ZipFile('sol.npz') as a, zipfile.ZipFile('old.npz', 'w') as b:
                for i in a.infolist():
                    if i.filename != 'data_fingerprint.npy': b.writestr(i, a.read(i.filename))
            """, in: dir)
        let old = try watchedRun(["train", "d1.npz", "--embedding", "file:h.npy", "--reference", "old.npz", "--steps", "3", "-q"], in: dir)
        XCTAssertEqual(old.process.terminationStatus, 0, old.stderr)
    }

    /// A data set given as the solution was refused as "solution format version 2 is newer than
    /// this ntpsep reads (up to 1); upgrade ntpsep".
    func testDataSetGivenAsSolutionIsNamedAsOne() throws {
        let dir = try folderWithData()
        try assertRefused(["train", "d.npz", "--embedding", "file:h.npy", "--reference", "d.npz", "-o", "w.npy"], in: dir,
                          fragment: "Error: --reference d.npz is a data set, not a solution from `ntpsep solve`; pass the SOL.npz of `ntpsep solve d.npz --embedding file:h.npy -o SOL.npz`")
    }
}
