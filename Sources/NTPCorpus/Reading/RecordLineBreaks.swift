import NTPFormats

/// Counts the XML records whose text `--boundary line` cuts into several sequences: a line break
/// between two words of one record. Pretty-printed XML (a word or a phrase per line, as in many OSIS
/// and TEI files) is cut that way in nearly every record, which the user should hear about; a line
/// break before or after all of a record's words cuts nothing.
struct RecordLineBreaks {
    /// Records seen, and those cut into several sequences.
    private(set) var records = 0
    private(set) var cut = 0
    private var sawWord = false, breakAfterWord = false, isCut = false

    /// Scans a piece of the current record's text.
    mutating func scan(_ text: UnsafeBufferPointer<UInt8>) {
        guard !isCut else { return }
        for byte in text {
            switch byte {
            case 0x0A, 0x0D: if sawWord { breakAfterWord = true }
            case 0x20, 0x09, 0x0B, 0x0C: break
            default:
                if breakAfterWord { isCut = true; return }
                sawWord = true
            }
        }
    }

    /// Closes the current record.
    mutating func endRecord() {
        records += 1
        if isCut { cut += 1 }
        sawWord = false; breakAfterWord = false; isCut = false
    }

    /// One line for the user when most records were cut; nil otherwise.
    func note(_ name: String, elements: [String]) -> String? {
        guard records > 0, 2 * cut > records else { return nil }
        let names = elements.map { "<\($0)>" }.joined(separator: ", ")
        return "\(name): \(cut) of \(counted(records, "record")) (\(names)) are cut into several sequences at line breaks inside "
            + "them (--boundary line); if the XML is pretty-printed, --boundary document makes each record one sequence"
    }
}
