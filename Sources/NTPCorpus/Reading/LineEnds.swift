#if canImport(Glibc)
import Glibc
#endif

/// Classic Mac text ends its lines with a lone CR. A file whose first line end is a lone CR has
/// every CR read as LF (so `--boundary line` sees its lines); LF and CRLF files are untouched.
enum LineEnds {
    /// Whether the first line end in `text` is a lone CR: nil when `text` holds none, or when it
    /// ends with a CR whose next byte is in the next piece (then that piece decides).
    static func firstIsLoneCR(_ text: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard let base = text.baseAddress else { return nil }
        let lf = memchr(base, 0x0A, text.count).map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - base } ?? text.count
        guard let hit = memchr(base, 0x0D, lf) else { return lf < text.count ? false : nil }
        let cr = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
        return cr + 1 < text.count ? text[cr + 1] != 0x0A : nil
    }

    /// Rewrites every CR of `text` as LF, in place.
    static func crToLF(_ text: UnsafeMutableBufferPointer<UInt8>) {
        guard let base = text.baseAddress else { return }
        var i = 0
        while i < text.count, let hit = memchr(base + i, 0x0D, text.count - i) {
            let p = hit.assumingMemoryBound(to: UInt8.self)
            p.pointee = 0x0A
            i = p - base + 1
        }
    }
}
