import XCTest
import TestSupport
import Foundation

/// QA: `train --resume` took a checkpoint of other data with the same V·d, or of another
/// embedding, and dropped a conflicting --optimizer or --lr: each gave exit 0 and a W no run would
/// give. The checkpoint now records the data's fingerprint, the embedding and the precision, and a
/// resume refuses in one line what contradicts it; the same options still resume bit for bit.
final class TrainResumeCheckTests: XCTestCase {
    /// `train DATA` under `embedding` with Adam (unless `extra` says otherwise) for `steps` steps.
    private func train(_ data: String = "d.npz", embedding: String = "gaussian:8:1", steps: String, _ extra: [String] = []) -> [String] {
        ["train", data, "--embedding", embedding, "--steps", steps, "--out", "w.npy", "--log", "log.csv"]
            + (extra.contains("--optimizer") ? [] : ["--optimizer", "adam"])
            + (extra.contains("--log-every") ? [] : ["--log-every", "1000"]) + extra
    }

    /// A folder with d.npz (30 contexts, V = 10), d2.npz (40 contexts, V = 10: the same V·d = 80 under
    /// gaussian:8) and w.npy.ckpt, the checkpoint of an Adam run on d.npz (with `extra`) stopped by SIGINT;
    /// and its step.
    private func interruptedRun(_ extra: [String] = [], embedding: String = "gaussian:8:1") throws -> (URL, Int) {
        let dir = try folderWithData()
        let made = try watchedRun(["synth", "--contexts", "40", "--vocab", "10", "--support", "3", "--seed", "2", "-o", "d2.npz", "-q"], in: dir)
        XCTAssertEqual(made.process.terminationStatus, 0, made.stderr)
        let run = try WatchedRun(train(embedding: embedding, steps: "1000000000", extra), in: dir)
        XCTAssertTrue(run.wait { run.stderr.contains("step        0") }, run.stderr)
        run.signal(SIGINT)
        XCTAssertEqual(run.process.terminationStatus, 130, run.stderr)
        let stopped = try XCTUnwrap(run.stderr.range(of: #"interrupted at step (\d+)"#, options: .regularExpression))
        return (dir, try XCTUnwrap(Int(run.stderr[stopped].split(separator: " ").last!)))
    }

    /// Other data (same V·d, so the weights fit) and another embedding seed (same d) are refused,
    /// naming the checkpoint's and the command's.
    func testOtherDataOrEmbeddingIsRefused() throws {
        let (dir, step) = try interruptedRun()
        let steps = "\(step + 700)", kept = ["w.npy.ckpt", "log.csv", "d.npz", "d2.npz"]
        try assertRefused(train("d2.npz", steps: steps, ["--resume", "w.npy.ckpt"]), in: dir, untouched: kept,
                          fragment: "Error: checkpoint w.npy.ckpt was trained on other data (d.npz, fingerprint 0x")
        try assertRefused(train("d2.npz", steps: steps, ["--resume", "w.npy.ckpt"]), in: dir,
                          fragment: "than d2.npz (fingerprint 0x")
        try assertRefused(train(embedding: "gaussian:8:2", steps: steps, ["--resume", "w.npy.ckpt"]), in: dir, untouched: kept,
                          fragment: "Error: checkpoint w.npy.ckpt was trained under --embedding gaussian:8:1, not gaussian:8:2; resume with --embedding gaussian:8:1 or start a new run without --resume")
    }

    /// A `file:` embedding saved again with other values (same path and shape) is refused by the
    /// CRC-32 of H that the checkpoint records; the same matrix under another path resumes.
    func testChangedEmbeddingFileIsRefused() throws {
        let (dir, step) = try interruptedRun(embedding: "file:h.npy")
        let made = try watchedRun(["synth", "--contexts", "30", "--vocab", "10", "--support", "3", "--seed", "5", "-o", "other.npz",
                                   "--dim", "8", "--embeddings-out", "h2.npy", "-q"], in: dir)
        XCTAssertEqual(made.process.terminationStatus, 0, made.stderr)
        let h = dir.appendingPathComponent("h.npy"), saved = try Data(contentsOf: h)
        let other = try Data(contentsOf: dir.appendingPathComponent("h2.npy"))
        XCTAssertNotEqual(other, saved)
        try other.write(to: h)
        let resume = train(embedding: "file:h.npy", steps: "\(step + 700)", ["--resume", "w.npy.ckpt"])
        try assertRefused(resume, in: dir, untouched: ["w.npy.ckpt", "log.csv"],
                          fragment: "Error: checkpoint w.npy.ckpt was trained under another matrix than the one now in --embedding file:h.npy (CRC-32 0x")
        // The same matrix under another path (a copy) resumes: H is identified by its checksum.
        try saved.write(to: dir.appendingPathComponent("copy.npy"))
        let resumed = try watchedRun(train(embedding: "file:copy.npy", steps: "\(step + 700)", ["--resume", "w.npy.ckpt"]), in: dir)
        XCTAssertEqual(resumed.process.terminationStatus, 0, resumed.stderr)
    }

    /// Each option the checkpoint fixes, given with another value, is refused (--optimizer gd and
    /// --lr 0.5 were dropped, and the result was the Adam run's bytes).
    func testConflictingOptionsAreRefused() throws {
        let (dir, step) = try interruptedRun()
        let cases: [([String], String)] = [
            (["--optimizer", "gd"], "Error: --optimizer gd conflicts with the checkpoint's adam (w.npy.ckpt); drop it or start a new run without --resume"),
            (["--lr", "0.5"], "Error: --lr 0.5 conflicts with the checkpoint's 0.01 (w.npy.ckpt)"),
            (["--precision", "float32"], "Error: --precision float32 conflicts with the checkpoint's float64 (w.npy.ckpt)"),
            (["--batch-contexts", "5"], "Error: --batch-contexts 5 conflicts with the checkpoint's full batch (w.npy.ckpt)"),
            (["--init", "gaussian:3"], "Error: --init gaussian:3 conflicts with the checkpoint's zero (w.npy.ckpt)"),
            (["--seed", "7"], "Error: --seed 7 conflicts with the checkpoint's 0 (w.npy.ckpt)"),
            (["--log-every", "10"], "Error: --log-every 10 conflicts with the checkpoint's 1000 (w.npy.ckpt)"),
        ]
        for (extra, fragment) in cases {
            try assertRefused(train(steps: "\(step + 700)", extra + ["--resume", "w.npy.ckpt"]), in: dir,
                              untouched: ["w.npy.ckpt", "log.csv"], fragment: fragment)
        }
    }

    /// The checkpoint's own values given explicitly, or left out, resume to the bytes of W and of the
    /// CSV log of an uninterrupted run; so does a checkpoint from before the data fingerprint (its
    /// `data_fingerprint` removed, CRC-32 recomputed), with one note that it cannot be checked.
    func testSameOptionsResumeBitIdentically() throws {
        let (dir, step) = try interruptedRun()
        let steps = "\(step + 700)"
        func bytes() throws -> [Data] {
            try ["w.npy", "log.csv"].map { try Data(contentsOf: dir.appendingPathComponent($0)) }
        }
        try Python.run("""
            import json, struct, zlib
            b = open('w.npy.ckpt', 'rb').read()
            n = struct.unpack('<Q', b[8:16])[0]
            h = json.loads(b[16:16 + n])
            meta = json.loads(h['metadata']); del meta['data_fingerprint']; h['metadata'] = json.dumps(meta)
            hb = json.dumps(h, sort_keys=True).encode()
            body = b[:8] + struct.pack('<Q', len(hb)) + hb + b[16 + n:-4]
            open('old.ckpt', 'wb').write(body + struct.pack('<I', zlib.crc32(body)))
            """, in: dir)
        let explicit = ["--lr", "0.01", "--init", "zero", "--seed", "0", "--precision", "float64", "--reference", "auto"]
        var resumed: [[Data]] = []
        for extra in [explicit + ["--resume", "w.npy.ckpt"], ["--resume", "w.npy.ckpt"], ["--resume", "old.ckpt"]] {
            let run = try watchedRun(train(steps: steps, extra), in: dir)
            XCTAssertEqual(run.process.terminationStatus, 0, run.stderr)
            XCTAssertTrue(run.stderr.contains("resuming at step \(step) of \(steps)"), run.stderr)
            let notes = run.stderr.split(separator: "\n").filter { $0.contains("records no data fingerprint") }
            XCTAssertEqual(notes.count, extra.last == "old.ckpt" ? 1 : 0, run.stderr)
            resumed.append(try bytes())
        }
        let straight = try watchedRun(train(steps: steps), in: dir)
        XCTAssertEqual(straight.process.terminationStatus, 0, straight.stderr)
        let expected = try bytes()
        XCTAssertEqual(expected[0].count, 128 + 8 * 10 * 8)
        for (i, got) in resumed.enumerated() { XCTAssertEqual(got, expected, "resume \(i)") }
    }

    /// A float32 run resumed without --precision went on in float64 (the default), so its W was
    /// neither run's; it now takes the checkpoint's precision and gives the straight run's bytes.
    func testResumeKeepsTheCheckpointsPrecision() throws {
        let (dir, step) = try interruptedRun(["--precision", "float32"])
        let steps = "\(step + 700)"
        let resumed = try watchedRun(train(steps: steps, ["--resume", "w.npy.ckpt"]), in: dir)
        XCTAssertEqual(resumed.process.terminationStatus, 0, resumed.stderr)
        let resumedW = try Data(contentsOf: dir.appendingPathComponent("w.npy"))
        let straight = try watchedRun(train(steps: steps, ["--precision", "float32"]), in: dir)
        XCTAssertEqual(straight.process.terminationStatus, 0, straight.stderr)
        XCTAssertEqual(resumedW, try Data(contentsOf: dir.appendingPathComponent("w.npy")))
        let float64 = try watchedRun(train(steps: steps), in: dir)
        XCTAssertEqual(float64.process.terminationStatus, 0, float64.stderr)
        XCTAssertNotEqual(resumedW, try Data(contentsOf: dir.appendingPathComponent("w.npy")), "float32 and float64 runs must differ for this test to mean anything")
    }
}
