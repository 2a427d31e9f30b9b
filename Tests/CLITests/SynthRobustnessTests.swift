import XCTest
import TestSupport
import Foundation

/// `synth` (no inputs) on bad outputs and signals.
final class SynthRobustnessTests: XCTestCase {
    private let args = ["synth", "--contexts", "5", "--vocab", "4", "--support", "2", "-q"]

    /// An embedding scale whose H the other commands would refuse is refused here (QA: 1e300 was written).
    func testEmbeddingScaleStaysInTheAcceptedRange() throws {
        let dir = temporaryDirectory()
        for scale in ["1e300", "1e-120", "1e56", "0"] {
            try assertRefused(args + ["-o", "x.npz", "--dim", "3", "--embedding-scale", scale, "--embeddings-out", "h.npy"], in: dir,
                              fragment: "--embedding-scale must be in 1e-55…1e55")
        }
    }

    func testNonFileOutputsAreRefused() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("folder"), withIntermediateDirectories: false)
        XCTAssertEqual(mkfifo(dir.appendingPathComponent("fifo").path, 0o644), 0)
        try assertRefused(args + ["-o", "folder"], in: dir, fragment: "it is a directory")
        try assertRefused(args + ["-o", "fifo"], in: dir, fragment: "it is a FIFO")
        try assertRefused(args + ["-o", "missing/d.npz"], in: dir, fragment: "folder missing does not exist")
        try assertRefused(args + ["-o", "x.npz", "--dim", "2", "--embeddings-out", "x.npz"], in: dir, fragment: "cannot write x.npz twice")
    }

    func testDevFullIsReportedAndNotReplaced() throws {
        try assertDevFullReported(in: temporaryDirectory(), args + ["-o", "/dev/full"])
    }

    func testSignalsLeaveNoTemporaryFiles() throws {
        try assertSignalsLeaveNothing(in: temporaryDirectory(), args + ["-o", "d.npz"])
    }

    /// The overviews of `help synth`, `solve`, `analyze` and `check` broke lines mid-sentence (QA
    /// round 9): their discussions had hard line ends that ArgumentParser keeps after its own wrapping
    /// (a line holds at most 79 columns). Now a line ends early only at the end of a paragraph: the
    /// next line's first word would not have fitted on it.
    func testHelpOverviewsBreakOnlyWhereTheWidthDoes() throws {
        for command in ["synth", "solve", "analyze", "check"] {
            let help = try ntpsep(["help", command])
            XCTAssertEqual(help.status, 0, help.stderr)
            let overview = help.stdout.components(separatedBy: "\nUSAGE:")[0].components(separatedBy: "\n")
            XCTAssertGreaterThan(overview.count, 4, command)
            for (line, next) in zip(overview, overview.dropFirst()) where !line.isEmpty && !next.isEmpty {
                let word = next.split(separator: " ").first.map(String.init) ?? ""
                XCTAssertGreaterThanOrEqual(line.count + 1 + word.count, 80, "\(command): '\(line)' / '\(next)'")
            }
        }
    }
}
