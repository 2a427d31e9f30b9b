import Foundation

/// Axis mapping.
public enum AxisScale: Sendable {
    /// Linear.
    case linear
    /// Base-10 logarithmic; non-positive values are dropped (they break the line).
    case log
}

/// One named curve (or point set) of a chart.
public struct Series: Sendable {
    /// Legend text.
    public var name: String
    /// Abscissae.
    public var x: [Double]
    /// Ordinates (same count as `x`).
    public var y: [Double]
    /// CSS colour; nil picks from the palette by position.
    public var color: String?
    /// Dashed stroke (e.g. a bound such as 𝓗).
    public var dashed: Bool
    /// Also mark every point with a dot (a line of one point is otherwise invisible).
    public var pointMarkers: Bool

    /// A series.
    public init(name: String, x: [Double], y: [Double], color: String? = nil, dashed: Bool = false,
                pointMarkers: Bool = false) {
        self.name = name; self.x = x; self.y = y; self.color = color; self.dashed = dashed
        self.pointMarkers = pointMarkers
    }
}

/// A shaded band between two curves (a confidence interval), with a whisker at every abscissa so
/// that a band of one point still shows. Bands are drawn under the series and have no legend entry
/// (name the matching series instead).
public struct Band: Sendable {
    /// Abscissae.
    public var x: [Double]
    /// Lower and upper ends at each abscissa (same count as `x`).
    public var lower: [Double], upper: [Double]
    /// CSS colour of the fill and whiskers.
    public var color: String

    /// A band.
    public init(x: [Double], lower: [Double], upper: [Double], color: String) {
        self.x = x; self.lower = lower; self.upper = upper; self.color = color
    }
}

/// Colour-blind-safe palette (Okabe–Ito), cycled by series position.
public let plotPalette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

/// Deterministic number text for SVG coordinates and labels.
func fmt(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    if r == r.rounded() && abs(r) < 1e15 { return String(Int(r)) }
    return String(format: "%.2f", r)
}

/// Tick label text: short, locale-free.
func tickLabel(_ v: Double) -> String {
    if v == 0 { return "0" }
    let a = abs(v)
    if a >= 1e-3 && a < 1e5 {
        var s = String(format: "%.6f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
    return String(format: "%.0e", v).replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+", with: "e")
}

/// Escapes text for XML and HTML element content and attribute values (SVG labels, the HTML
/// report): the one markup escaper.
public func escapeXML(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// Maps data to pixels along one axis and chooses ticks.
struct Axis {
    let scale: AxisScale
    let lo: Double, hi: Double          // in transformed units (log10 for .log)
    let p0: Double, p1: Double          // pixel positions of lo and hi

    init(values: [Double], scale: AxisScale, p0: Double, p1: Double) {
        self.scale = scale; self.p0 = p0; self.p1 = p1
        let t = values.compactMap { Axis.transform($0, scale) }
        var a = t.min() ?? 0, b = t.max() ?? 1
        if a == b { a -= 0.5; b += 0.5 }
        if scale == .linear {
            let step = Axis.niceStep((b - a) / 5)
            a = (a / step).rounded(.down) * step
            b = (b / step).rounded(.up) * step
        } else {
            a = a.rounded(.down); b = b.rounded(.up)
            if a == b { b = a + 1 }
        }
        lo = a; hi = b
    }

    static func transform(_ v: Double, _ s: AxisScale) -> Double? {
        guard v.isFinite else { return nil }
        switch s {
        case .linear: return v
        case .log: return v > 0 ? Foundation.log10(v) : nil
        }
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let e = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        let f = raw / e
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e
    }

    func pixel(_ v: Double) -> Double? {
        guard let t = Axis.transform(v, scale) else { return nil }
        return p0 + (t - lo) / (hi - lo) * (p1 - p0)
    }

    /// (value, label) pairs.
    func ticks() -> [Double] {
        switch scale {
        case .linear:
            let step = Axis.niceStep((hi - lo) / 5)
            var out: [Double] = []
            var k = (lo / step).rounded(.up)
            while k * step <= hi + step * 1e-9 { out.append(k * step == 0 ? 0 : k * step); k += 1 }
            return out
        case .log:
            let n = Int(hi - lo)
            let every = max(1, (n + 5) / 6)
            return stride(from: Int(lo), through: Int(hi), by: every).map { Foundation.pow(10, Double($0)) }
        }
    }
}

/// A line chart with several overlaid series, axes with ticks and labels, a legend and a title.
/// `svg()` is self-contained (no fonts, links or scripts) and byte-deterministic.
public struct LineChart: Sendable {
    /// Title above the plot.
    public var title: String
    /// Horizontal axis label.
    public var xLabel: String
    /// Vertical axis label.
    public var yLabel: String
    /// Horizontal scale.
    public var xScale: AxisScale
    /// Vertical scale.
    public var yScale: AxisScale
    /// The curves.
    public var series: [Series]
    /// Draw markers instead of lines (scatter).
    public var markers: Bool
    /// Canvas size in pixels.
    public var width: Double, height: Double
    /// Legend in the bottom-right corner instead of the top-right (for curves that rise to the top).
    public var legendAtBottom: Bool
    /// Shaded bands drawn beneath the series.
    public var bands: [Band]

    /// A chart; 560 × 380 pixels by default.
    public init(title: String, xLabel: String, yLabel: String, xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                series: [Series], markers: Bool = false, width: Double = 560, height: Double = 380, legendAtBottom: Bool = false,
                bands: [Band] = []) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.xScale = xScale; self.yScale = yScale
        self.series = series; self.markers = markers; self.width = width; self.height = height
        self.legendAtBottom = legendAtBottom; self.bands = bands
    }

    /// The chart as a complete SVG document.
    public func svg() -> String { svgDocument(width: width, height: height, body: body(originX: 0, originY: 0)) }

    /// The chart's elements translated to (originX, originY), for composing figures.
    public func body(originX ox: Double, originY oy: Double) -> String {
        let left = ox + 70, right = ox + width - 20, top = oy + 36, bottom = oy + height - 50
        let xa = Axis(values: series.flatMap(\.x) + bands.flatMap(\.x), scale: xScale, p0: left, p1: right)
        let ya = Axis(values: series.flatMap(\.y) + bands.flatMap { $0.lower + $0.upper }, scale: yScale, p0: bottom, p1: top)
        var s = ""
        s += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(right - left))\" height=\"\(fmt(bottom - top))\" fill=\"none\" stroke=\"#444\" stroke-width=\"1\"/>\n"
        for t in xa.ticks() {
            guard let px = xa.pixel(t) else { continue }
            s += "<line x1=\"\(fmt(px))\" y1=\"\(fmt(top))\" x2=\"\(fmt(px))\" y2=\"\(fmt(bottom))\" stroke=\"#e5e5e5\"/>\n"
            s += "<line x1=\"\(fmt(px))\" y1=\"\(fmt(bottom))\" x2=\"\(fmt(px))\" y2=\"\(fmt(bottom + 5))\" stroke=\"#444\"/>\n"
            s += "<text x=\"\(fmt(px))\" y=\"\(fmt(bottom + 18))\" text-anchor=\"middle\">\(escapeXML(tickLabel(t)))</text>\n"
        }
        for t in ya.ticks() {
            guard let py = ya.pixel(t) else { continue }
            s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(py))\" x2=\"\(fmt(right))\" y2=\"\(fmt(py))\" stroke=\"#e5e5e5\"/>\n"
            s += "<line x1=\"\(fmt(left - 5))\" y1=\"\(fmt(py))\" x2=\"\(fmt(left))\" y2=\"\(fmt(py))\" stroke=\"#444\"/>\n"
            s += "<text x=\"\(fmt(left - 8))\" y=\"\(fmt(py + 4))\" text-anchor=\"end\">\(escapeXML(tickLabel(t)))</text>\n"
        }
        s += "<text x=\"\(fmt((left + right) / 2))\" y=\"\(fmt(oy + 22))\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(escapeXML(title))</text>\n"
        s += "<text x=\"\(fmt((left + right) / 2))\" y=\"\(fmt(bottom + 38))\" text-anchor=\"middle\">\(escapeXML(xLabel))</text>\n"
        let my = (top + bottom) / 2, mx = ox + 18
        s += "<text x=\"\(fmt(mx))\" y=\"\(fmt(my))\" text-anchor=\"middle\" transform=\"rotate(-90 \(fmt(mx)) \(fmt(my)))\">\(escapeXML(yLabel))</text>\n"
        // Legend box wide enough for the longest name (≈ 6.6 px per character at 12 px).
        let legendWidth = max(150, 36 + 6.6 * Double(series.map(\.name.count).max() ?? 0))
        for band in bands {
            let pts = zip(band.x, zip(band.lower, band.upper)).compactMap { x, lu -> (Double, Double, Double)? in
                guard let px = xa.pixel(x), let pl = ya.pixel(lu.0), let pu = ya.pixel(lu.1) else { return nil }
                return (px, pl, pu)
            }
            if pts.count > 1 {
                let outline = pts.map { "\(fmt($0.0)),\(fmt($0.2))" } + pts.reversed().map { "\(fmt($0.0)),\(fmt($0.1))" }
                s += "<polygon points=\"\(outline.joined(separator: " "))\" fill=\"\(band.color)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
            }
            for (px, pl, pu) in pts {
                s += "<line x1=\"\(fmt(px))\" y1=\"\(fmt(pl))\" x2=\"\(fmt(px))\" y2=\"\(fmt(pu))\" stroke=\"\(band.color)\" stroke-width=\"1.2\"/>\n"
                for py in [pl, pu] {
                    s += "<line x1=\"\(fmt(px - 4))\" y1=\"\(fmt(py))\" x2=\"\(fmt(px + 4))\" y2=\"\(fmt(py))\" stroke=\"\(band.color)\" stroke-width=\"1.2\"/>\n"
                }
            }
        }
        for (i, ser) in series.enumerated() {
            let color = ser.color ?? plotPalette[i % plotPalette.count]
            let dash = ser.dashed ? " stroke-dasharray=\"6 4\"" : ""
            var runs: [[(Double, Double)]] = [[]]
            for (x, y) in zip(ser.x, ser.y) {
                if let px = xa.pixel(x), let py = ya.pixel(y) { runs[runs.count - 1].append((px, py)) }
                else if !runs[runs.count - 1].isEmpty { runs.append([]) }
            }
            for run in runs where !run.isEmpty {
                if markers {
                    for (px, py) in run { s += "<circle cx=\"\(fmt(px))\" cy=\"\(fmt(py))\" r=\"3\" fill=\"\(color)\"/>\n" }
                } else {
                    let pts = run.map { "\(fmt($0.0)),\(fmt($0.1))" }.joined(separator: " ")
                    s += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"\(dash)/>\n"
                    if ser.pointMarkers {
                        for (px, py) in run { s += "<circle cx=\"\(fmt(px))\" cy=\"\(fmt(py))\" r=\"3\" fill=\"\(color)\"/>\n" }
                    }
                }
            }
            // Legend entry, top-right (or bottom-right) inside the frame.
            let ly = legendAtBottom ? bottom - 8 - Double(series.count - 1 - i) * 16 : top + 14 + Double(i) * 16
            let lx = right - legendWidth
            if markers {
                s += "<circle cx=\"\(fmt(lx + 11))\" cy=\"\(fmt(ly - 4))\" r=\"3\" fill=\"\(color)\"/>\n"
            } else {
                s += "<line x1=\"\(fmt(lx))\" y1=\"\(fmt(ly - 4))\" x2=\"\(fmt(lx + 22))\" y2=\"\(fmt(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
            }
            s += "<text x=\"\(fmt(lx + 28))\" y=\"\(fmt(ly))\">\(escapeXML(ser.name))</text>\n"
        }
        return s
    }
}

/// Several charts in a grid, one SVG (the paper's four-panel figure).
public struct FigureGrid: Sendable {
    /// Panels in reading order.
    public var charts: [LineChart]
    /// Panels per row.
    public var columns: Int

    /// A grid.
    public init(charts: [LineChart], columns: Int = 2) { self.charts = charts; self.columns = max(1, columns) }

    /// The figure as a complete SVG document (cells sized by the largest chart).
    public func svg() -> String {
        let cw = charts.map(\.width).max() ?? 0, ch = charts.map(\.height).max() ?? 0
        let rows = (charts.count + columns - 1) / columns
        var body = ""
        for (i, c) in charts.enumerated() {
            body += c.body(originX: Double(i % columns) * cw, originY: Double(i / columns) * ch)
        }
        return svgDocument(width: cw * Double(columns), height: ch * Double(rows), body: body)
    }
}

/// The paper's 2-D toy figure: word embeddings as arrows from the origin (rows of W^mm) and
/// context embeddings as labelled points.
public struct ArrowPlot: Sendable {
    /// A labelled 2-D vector.
    public struct Item: Sendable {
        /// Text next to the arrow head / point.
        public var label: String
        /// Coordinates.
        public var x: Double, y: Double
        /// An item.
        public init(label: String, x: Double, y: Double) { self.label = label; self.x = x; self.y = y }
    }
    /// Title above the plot.
    public var title: String
    /// Drawn as arrows from the origin.
    public var arrows: [Item]
    /// Drawn as dots.
    public var points: [Item]
    /// Canvas size (square plot area, equal aspect).
    public var size: Double

    /// A plot.
    public init(title: String, arrows: [Item], points: [Item], size: Double = 480) {
        self.title = title; self.arrows = arrows; self.points = points; self.size = size
    }

    /// The plot as a complete SVG document; both axes share one scale so angles are true.
    public func svg() -> String {
        let all = arrows + points
        let r = max(1e-12, all.map { max(abs($0.x), abs($0.y)) }.max() ?? 1) * 1.15
        let left = 40.0, top = 40.0, side = size - 70
        func px(_ x: Double) -> Double { left + (x + r) / (2 * r) * side }
        func py(_ y: Double) -> Double { top + (r - y) / (2 * r) * side }
        var s = "<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#0072B2\"/></marker></defs>\n"
        s += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(side))\" height=\"\(fmt(side))\" fill=\"none\" stroke=\"#444\"/>\n"
        s += "<line x1=\"\(fmt(px(-r)))\" y1=\"\(fmt(py(0)))\" x2=\"\(fmt(px(r)))\" y2=\"\(fmt(py(0)))\" stroke=\"#ccc\"/>\n"
        s += "<line x1=\"\(fmt(px(0)))\" y1=\"\(fmt(py(-r)))\" x2=\"\(fmt(px(0)))\" y2=\"\(fmt(py(r)))\" stroke=\"#ccc\"/>\n"
        s += "<text x=\"\(fmt(size / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(escapeXML(title))</text>\n"
        s += "<text x=\"\(fmt(left))\" y=\"\(fmt(top + side + 18))\">\(escapeXML(tickLabel(-r)))</text>\n"
        s += "<text x=\"\(fmt(left + side))\" y=\"\(fmt(top + side + 18))\" text-anchor=\"end\">\(escapeXML(tickLabel(r)))</text>\n"
        for a in arrows {
            s += "<line x1=\"\(fmt(px(0)))\" y1=\"\(fmt(py(0)))\" x2=\"\(fmt(px(a.x)))\" y2=\"\(fmt(py(a.y)))\" stroke=\"#0072B2\" stroke-width=\"2\" marker-end=\"url(#head)\"/>\n"
            s += "<text x=\"\(fmt(px(a.x) + 6))\" y=\"\(fmt(py(a.y) - 6))\" fill=\"#0072B2\">\(escapeXML(a.label))</text>\n"
        }
        for p in points {
            s += "<circle cx=\"\(fmt(px(p.x)))\" cy=\"\(fmt(py(p.y)))\" r=\"4\" fill=\"#D55E00\"/>\n"
            s += "<text x=\"\(fmt(px(p.x) + 6))\" y=\"\(fmt(py(p.y) + 14))\" fill=\"#D55E00\">\(escapeXML(p.label))</text>\n"
        }
        return svgDocument(width: size, height: size, body: s)
    }
}

func svgDocument(width: Double, height: Double, body: String) -> String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" + body + "</svg>\n"
}

/// The logged curves of one training run, for `paperPanels` (NTPPlot knows nothing of NTPCore:
/// callers copy their log columns in; nil entries are skipped).
public struct TrainingCurves: Sendable {
    /// Legend name (e.g. "GD").
    public var name: String
    /// Step numbers.
    public var steps: [Double]
    /// CE(W_k).
    public var ce: [Double]
    /// ‖W_k‖.
    public var norm: [Double]
    /// cos(W_k, W^mm), if known.
    public var cosineMM: [Double?]
    /// cos(W_k − W*, W^mm), if known.
    public var cosineShiftedMM: [Double?]
    /// ‖P_𝓕(W_k) − W*‖, if known.
    public var distanceToWStar: [Double?]

    /// Curves of one run; the optional columns default to absent.
    public init(name: String, steps: [Double], ce: [Double], norm: [Double], cosineMM: [Double?] = [],
                cosineShiftedMM: [Double?] = [], distanceToWStar: [Double?] = []) {
        self.name = name; self.steps = steps; self.ce = ce; self.norm = norm
        self.cosineMM = cosineMM; self.cosineShiftedMM = cosineShiftedMM; self.distanceToWStar = distanceToWStar
    }
}

/// The paper's four panels (App. A) for one or more runs overlaid (GD vs NGD vs Adam):
/// CE with the bound 𝓗 dashed; ‖W_k‖; cos(W, W^mm) solid and cos(W − W*, W^mm) dashed;
/// ‖P_𝓕(W_k) − W*‖ on a log axis. The last two panels appear only when some run has them.
public func paperPanels(_ runs: [TrainingCurves], entropy: Double) -> FigureGrid {
    func series(_ pick: (TrainingCurves) -> [Double?], suffix: String = "", dashed: Bool = false) -> [Series] {
        runs.enumerated().compactMap { i, r in
            let ys = pick(r)
            let pts = zip(r.steps, ys).compactMap { x, y in y.map { (x, $0) } }
            return pts.isEmpty ? nil : Series(name: r.name + suffix, x: pts.map(\.0), y: pts.map(\.1),
                                              color: plotPalette[i % plotPalette.count], dashed: dashed)
        }
    }
    let maxStep = runs.flatMap(\.steps).max() ?? 1
    var ce = series { $0.ce.map { Optional($0) } }
    ce.append(Series(name: "𝓗", x: [0, maxStep], y: [entropy, entropy], color: "#000000", dashed: true))
    var charts = [
        LineChart(title: "CE(W_k) and 𝓗", xLabel: "step k", yLabel: "nats", series: ce),
        LineChart(title: "‖W_k‖", xLabel: "step k", yLabel: "Frobenius norm", series: series { $0.norm.map { Optional($0) } }),
    ]
    let cos = series({ $0.cosineMM }, suffix: ": cos(W, Wmm)") + series({ $0.cosineShiftedMM }, suffix: ": cos(W−W*, Wmm)", dashed: true)
    if !cos.isEmpty {
        charts.append(LineChart(title: "alignment with W^mm", xLabel: "step k", yLabel: "cosine", series: cos, legendAtBottom: true))
        charts.append(LineChart(title: "‖P_𝓕(W_k) − W*‖", xLabel: "step k", yLabel: "distance", yScale: .log,
                                series: series { $0.distanceToWStar }))
    }
    return FigureGrid(charts: charts, columns: 2)
}
