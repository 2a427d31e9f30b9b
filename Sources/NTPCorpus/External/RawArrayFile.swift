/// An `.npy` payload being written to a temporary file: little-endian Int32 or Int64 values.
final class RawArrayFile {
    private let file: BufferedFile
    var path: String { file.path }
    /// Values written.
    private(set) var count = 0

    init(in folder: SpillFolder, stem: String) throws {
        let path = folder.newFile(stem)
        file = try BufferedFile(path: path, capacity: 1 << 18, failure: { folder.failure($0, path) })
    }

    @inline(__always)
    func append(int32 value: Int32) throws {
        try file.reserve(4)
        UnsafeMutableRawPointer(file.buffer + file.used).storeBytes(of: value.littleEndian, as: Int32.self)
        file.used += 4; count += 1
    }

    @inline(__always)
    func append(int64 value: Int64) throws {
        try file.reserve(8)
        UnsafeMutableRawPointer(file.buffer + file.used).storeBytes(of: value.littleEndian, as: Int64.self)
        file.used += 8; count += 1
    }

    /// Flushes and closes the file.
    func close() throws { try file.close() }
}
