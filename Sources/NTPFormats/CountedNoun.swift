/// A count and its noun in the right number: "1 context", "3 contexts", "1 entry" / "2 entries"
/// (`plural:`), "1,000 contexts" (`number:` a grouping formatter). The one place printed messages
/// make plurals, so that no message says "1 contexts".
public func counted(_ count: Int, _ noun: String, plural: String? = nil, number: (Int) -> String = { String($0) }) -> String {
    "\(number(count)) \(count == 1 ? noun : plural ?? noun + "s")"
}
