import Foundation
import NTPFormats

/// A resumable snapshot of a run: W, optimizer state, step, options, the log so far, and free-form
/// caller metadata (the CLI stores its command-line options there as JSON).
///
/// File layout (format version 2): the 8 bytes "NTPCKPT2", a little-endian UInt64 header length,
/// a JSON header (with `format_version`), the raw little-endian Doubles of W, Adam's first and
/// second moments, then a little-endian CRC-32 of everything before it, so a damaged file (one
/// flipped byte included) is rejected instead of resuming from wrong numbers. Written atomically
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
        var formatVersion: Int
        var step: Int, parameters: Int, updates: Int, moments: Int
        var options: TrainingOptions, log: [LogRow], metadata: String
        enum CodingKeys: String, CodingKey {
            case formatVersion = "format_version", step, parameters, updates, moments, options, log, metadata
        }
    }

    /// The format this build writes and the only one it reads.
    public static let formatVersion = 2
    private static let magic = Array("NTPCKPT".utf8)

    /// The file's bytes (see the layout above).
    public func encoded() throws -> [UInt8] {
        let header = Header(formatVersion: Self.formatVersion, step: step, parameters: weights.count,
                            updates: optimizerState.updates, moments: optimizerState.firstMoment.count,
                            options: options, log: log, metadata: metadata)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        var bytes = Self.magic + Array("\(Self.formatVersion)".utf8)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        for array in [weights, optimizerState.firstMoment, optimizerState.secondMoment] {
            array.withUnsafeBytes { bytes.append(contentsOf: $0) }   // x86-64/arm64: little-endian
        }
        let crc = bytes.withUnsafeBytes { crc32($0) }
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Writes the checkpoint atomically to `path` (refused when `path` is an input of the command).
    public func write(to path: String) throws {
        try writeFileAtomically(path: path, contents: try encoded())
    }

    /// Reads a checkpoint written by `write(to:)`. Every error is one line naming the file.
    public init(contentsOf path: String) throws {
        let bytes: [UInt8]
        do { bytes = try readWholeFile(path) } catch { throw TrainingError.badCheckpoint("\(error)") }
        try self.init(bytes: bytes, path: path)
    }

    /// Decodes the bytes of a checkpoint file (`path` is only for messages).
    public init(bytes: [UInt8], path: String) throws {
        func bad(_ why: String) -> TrainingError { TrainingError.badCheckpoint("\(path): \(why)") }
        guard bytes.count >= 8, Array(bytes[0..<7]) == Self.magic else {
            throw bad("not an ntpsep checkpoint (it does not start with NTPCKPT); give the file Ctrl-C of `ntpsep train` wrote")
        }
        guard bytes[7] == UInt8(ascii: "0") + UInt8(Self.formatVersion) else {
            let found = bytes[7] >= UInt8(ascii: "1") && bytes[7] <= UInt8(ascii: "9") ? "\(bytes[7] - UInt8(ascii: "0"))" : "unknown"
            throw bad("checkpoint format version \(found), this ntpsep reads version \(Self.formatVersion) only; rerun the training from the start")
        }
        guard bytes.count >= 20 else { throw bad("truncated (\(bytes.count) bytes); the file is incomplete") }
        let body = bytes.count - 4
        var stored: UInt32 = 0
        for i in 0..<4 { stored |= UInt32(bytes[body + i]) << (8 * UInt32(i)) }
        let actual = bytes.withUnsafeBytes { crc32(UnsafeRawBufferPointer(rebasing: $0[0..<body])) }
        guard stored == actual else {
            throw bad("checksum mismatch (stored CRC-32 \(String(stored, radix: 16)), computed \(String(actual, radix: 16))): the file is damaged; resume from another checkpoint or rerun")
        }
        var len: UInt64 = 0
        for i in 0..<8 { len |= UInt64(bytes[8 + i]) << (8 * UInt64(i)) }
        guard len <= UInt64(body - 16) else { throw bad("header length \(len) runs past the end of the file") }
        let hEnd = 16 + Int(len)
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<hEnd])) } catch {
            throw bad("damaged header (\(error))")
        }
        guard header.formatVersion == Self.formatVersion, header.parameters >= 0, header.moments >= 0, header.step >= 0,
              header.parameters <= (body - hEnd) / 8, header.moments <= (body - hEnd) / 16 else {
            throw bad("header describes \(header.parameters) weights and \(header.moments) moments, which the file cannot hold")
        }
        let total = header.parameters + 2 * header.moments
        guard body == hEnd + 8 * total else {
            throw bad("payload has \(body - hEnd) bytes but the header needs \(8 * total); the file is damaged")
        }
        var values = [Double](repeating: 0, count: total)
        values.withUnsafeMutableBytes { $0.copyBytes(from: bytes[hEnd..<body]) }
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
