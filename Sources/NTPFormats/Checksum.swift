import CZip

/// CRC-32 (the ZIP/gzip polynomial) of `bytes`: detects every error burst up to 32 bits, so any
/// flipped byte of a file it guards.
public func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    czip_crc32(0, bytes.baseAddress, bytes.count)
}

/// The CRC-32 of the bytes that follow those `crc` was computed over (`crc32(a + b)` is
/// `crc32(b, continuing: crc32(a))`), for files checksummed as they are streamed.
public func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32) -> UInt32 {
    czip_crc32(crc, bytes.baseAddress, bytes.count)
}
