import Foundation

/// The one way tests run python3 (numpy/scipy second computations, files written by numpy).
public enum Python {
    /// python3 exited with a non-zero status.
    public struct Failure: Error, CustomStringConvertible {
        public let status: Int32
        public let stderr: String
        public var description: String { "python3 failed (exit \(status)): \(stderr)" }
    }

    /// Runs `python3 -c code` with `input` on stdin (and `directory` as working folder) and returns
    /// its standard output; throws `Failure` with python's stderr on a non-zero exit.
    @discardableResult
    public static func run(_ code: String, input: Data = Data(), in directory: URL? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", code]
        if let directory { p.currentDirectoryURL = directory }
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        p.standardInput = inPipe; p.standardOutput = outPipe; p.standardError = errPipe
        try p.run()
        inPipe.fileHandleForWriting.write(input)
        try inPipe.fileHandleForWriting.close()
        // stderr is read on another thread so that neither pipe can fill up and block python.
        final class Box: @unchecked Sendable { var data = Data() }   // written once, read after the group's wait
        let err = Box(), group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { err.data = errPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(status: p.terminationStatus, stderr: String(decoding: err.data, as: UTF8.self))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
