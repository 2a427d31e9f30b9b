import Foundation
import XCTest

/// Runs `python3 -c script` with `input` on stdin and returns its stdout; a non-zero exit fails the
/// calling test with python's stderr. The numpy/scipy second computations of the tests go through here.
func runPython(_ script: String, input: Data = Data(), file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script]
    let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
    p.standardInput = inPipe; p.standardOutput = outPipe; p.standardError = errPipe
    try p.run()
    inPipe.fileHandleForWriting.write(input)
    try inPipe.fileHandleForWriting.close()
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    let err = errPipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    XCTAssertEqual(p.terminationStatus, 0, "python3 failed: \(String(decoding: err, as: UTF8.self))", file: file, line: line)
    return String(decoding: out, as: UTF8.self)
}
