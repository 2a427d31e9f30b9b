import CZip

/// CRC-32 (the ZIP/gzip polynomial) of `bytes`: detects every error burst up to 32 bits, so any
/// flipped byte of a file it guards.
public func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    czip_crc32(0, bytes.baseAddress, bytes.count)
}
