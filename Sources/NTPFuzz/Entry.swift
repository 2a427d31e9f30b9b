import Foundation

#if FUZZING
/// libFuzzer's entry point; the target comes from NTPSEP_FUZZ_TARGET (set by scripts/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selectedTarget.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// SwiftPM links executables with `main` = `NTPFuzz_main`: hand control to libFuzzer's driver.
@_cdecl("NTPFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzOneInput)
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

private let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["NTPSEP_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("NTPSEP_FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return target
}()
#else
/// Without -DFUZZING (a normal `swift build`): replays inputs, `ntpsep-fuzz TARGET FILE…`, so a
/// crashing input can be rerun under a debugger and the regression corpus stays runnable.
@main
struct Replay {
    static func main() {
        let args = CommandLine.arguments.dropFirst()
        guard let first = args.first, let target = FuzzTarget(rawValue: first) else {
            print("usage: ntpsep-fuzz TARGET FILE…  (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            exit(2)
        }
        for file in args.dropFirst() {
            guard let bytes = FileManager.default.contents(atPath: file) else { print("cannot read \(file)"); exit(1) }
            target.run(Array(bytes))
            print("\(file): ok")
        }
    }
}
#endif
