import NTPPlot

/// A self-contained HTML document: inline CSS and inline SVG, no scripts, fonts or links to
/// anything outside the file, so it renders offline and can go into a paper's supplement as is.
struct HTMLReport {
    /// The <title> and <h1>.
    var title: String
    /// The line under the heading.
    var subtitle: String
    private var body: [String] = []

    /// An empty document.
    init(title: String, subtitle: String) {
        self.title = title
        self.subtitle = subtitle
    }

    /// Adds a section heading.
    mutating func section(_ heading: String) { body.append("<h2>\(escapeXML(heading))</h2>") }

    /// Adds a paragraph of plain text.
    mutating func paragraph(_ text: String) { body.append("<p>\(escapeXML(text))</p>") }

    /// Adds a table; cells are plain text. `numeric` columns are right-aligned.
    mutating func table(header: [String], rows: [[String]], numeric: Set<Int> = [], caption: String? = nil) {
        var html = "<table>"
        if let caption { html += "<caption>\(escapeXML(caption))</caption>" }
        html += "<thead><tr>" + header.map { "<th>\(escapeXML($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>" + row.enumerated().map { i, cell in
                numeric.contains(i) ? "<td class=\"n\">\(escapeXML(cell))</td>" : "<td>\(escapeXML(cell))</td>"
            }.joined() + "</tr>"
        }
        body.append(html + "</tbody></table>")
    }

    /// Adds an SVG figure (the SVG text must be self-contained) with a caption.
    mutating func figure(svg: String, caption: String) {
        // Drop an XML declaration: inside HTML the <svg> element stands on its own.
        var inline = svg
        if inline.hasPrefix("<?xml"), let end = inline.firstIndex(of: ">") { inline = String(inline[inline.index(after: end)...]) }
        body.append("<figure>\(inline)<figcaption>\(escapeXML(caption))</figcaption></figure>")
    }

    /// Adds a definition-style list of key facts.
    mutating func facts(_ items: [(String, String)]) {
        body.append("<dl>" + items.map { "<dt>\(escapeXML($0.0))</dt><dd>\(escapeXML($0.1))</dd>" }.joined() + "</dl>")
    }

    /// The whole document.
    func render() -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(escapeXML(title))</title>
        <style>
        body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.45; }
        h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
        h2 { font-size: 1.2rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2rem; }
        .subtitle { color: #555; margin-top: 0; }
        table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
        caption { text-align: left; font-weight: bold; padding-bottom: 0.3rem; }
        th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; }
        th { background: #f3f3f3; }
        figure { margin: 1rem 0; }
        figcaption { font-size: 0.85rem; color: #444; margin-top: 0.3rem; }
        svg { max-width: 100%; height: auto; }
        dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
        dt { font-weight: bold; }
        dd { margin: 0; }
        </style>
        </head>
        <body>
        <h1>\(escapeXML(title))</h1>
        <p class="subtitle">\(escapeXML(subtitle))</p>
        \(body.joined(separator: "\n"))
        </body>
        </html>

        """
    }
}
