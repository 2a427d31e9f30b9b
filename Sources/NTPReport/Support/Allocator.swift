import CSupport

/// Process-wide allocator settings for a short-lived batch tool.
public enum Allocator {
    /// Serves large blocks from the heap and keeps freed memory there. glibc's default maps
    /// every block over 32 MiB afresh and unmaps it on free, so ingestion's buffers (hundreds of
    /// MB, freed and reallocated between phases) paid a page fault per 4 KiB each time: on the
    /// 106 MB bench file 373 k faults and 0.9 s of system time, against 215 k and 0.55 s here.
    public static func keepLargeBlocks() {
        ntp_keep_large_blocks()
    }
}
