import Foundation

/// A resumable snapshot of a run: W, optimizer state, step, options, the log so far, and free-form
/// caller metadata (the CLI stores its command-line options there as JSON).
///
/// File layout: the 8 bytes "NTPCKPT1", a little-endian UInt64 header length, a JSON header,
/// then the raw little-endian Doubles of W, Adam's first and second moments. Written atomically
/// (temporary file + rename), so an interrupted write never leaves a half checkpoint.
public struct TrainingCheckpoint: Equatable {
    /// Updates applied.
    public var step: Int
    /// W after `step` updates (V × d row-major).
    public var weights: [Double]
    /// Optimizer moments and update count.
    public var optimizerState: OptimizerState
    /// The run's options.
    public var options: TrainingOptions
    /// Rows logged so far.
    public var log: [LogRow]
    /// Caller metadata (e.g. data path, embedding spec), JSON text.
    public var metadata: String

    /// A checkpoint value.
    public init(step: Int, weights: [Double], optimizerState: OptimizerState, options: TrainingOptions,
                log: [LogRow], metadata: String = "{}") {
        self.step = step; self.weights = weights; self.optimizerState = optimizerState
        self.options = options; self.log = log; self.metadata = metadata
    }

    private struct Header: Codable {
        var step: Int, parameters: Int, updates: Int, moments: Int
        var options: TrainingOptions, log: [LogRow], metadata: String
    }

    private static let magic = Array("NTPCKPT1".utf8)

    /// Writes the checkpoint atomically to `path`.
    public func write(to path: String) throws {
        let header = Header(step: step, parameters: weights.count, updates: optimizerState.updates,
                            moments: optimizerState.firstMoment.count, options: options, log: log, metadata: metadata)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        var data = Data(Self.magic)
        var len = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &len) { data.append(contentsOf: $0) }
        data.append(json)
        for array in [weights, optimizerState.firstMoment, optimizerState.secondMoment] {
            array.withUnsafeBytes { data.append(contentsOf: $0) }   // x86-64/arm64: little-endian
        }
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw TrainingError.badCheckpoint("cannot write \(tmp)")
        }
        if rename(tmp, path) != 0 {
            unlink(tmp)
            throw TrainingError.badCheckpoint("cannot rename \(tmp) to \(path)")
        }
    }

    /// Reads a checkpoint written by `write(to:)`.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingError.badCheckpoint("cannot read \(path)")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 16, Array(bytes[0..<8]) == Self.magic else {
            throw TrainingError.badCheckpoint("\(path) is not an ntpsep checkpoint")
        }
        var len: UInt64 = 0
        for i in 0..<8 { len |= UInt64(bytes[8 + i]) << (8 * UInt64(i)) }
        let hEnd = 16 + Int(len)
        guard hEnd <= bytes.count,
              let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[16..<hEnd])) else {
            throw TrainingError.badCheckpoint("\(path) has a damaged header")
        }
        let total = header.parameters + 2 * header.moments
        guard bytes.count == hEnd + 8 * total else {
            throw TrainingError.badCheckpoint("\(path) is truncated")
        }
        var values = [Double](repeating: 0, count: total)
        values.withUnsafeMutableBytes { $0.copyBytes(from: bytes[hEnd...]) }
        step = header.step
        weights = Array(values[0..<header.parameters])
        var state = OptimizerState(kind: header.options.optimizer.kind, parameterCount: 0)
        state.updates = header.updates
        state.firstMoment = Array(values[header.parameters..<(header.parameters + header.moments)])
        state.secondMoment = Array(values[(header.parameters + header.moments)...])
        optimizerState = state
        options = header.options
        log = header.log
        metadata = header.metadata
    }
}
