import XCTest
@testable import NTPPlot

final class PlotTests: XCTestCase {
    func testAxisMappingAndTicks() {
        let a = Axis(values: [0.3, 9.7], scale: .linear, p0: 0, p1: 100)
        XCTAssertEqual(a.lo, 0); XCTAssertEqual(a.hi, 10)
        XCTAssertEqual(a.ticks(), [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(a.pixel(5), 50)
        let l = Axis(values: [0.002, 30, -1, .nan], scale: .log, p0: 0, p1: 500)
        XCTAssertEqual(l.lo, -3); XCTAssertEqual(l.hi, 2)
        XCTAssertEqual(l.ticks(), [0.001, 0.01, 0.1, 1, 10, 100])
        XCTAssertEqual(l.pixel(1)!, 300, accuracy: 1e-12)
        XCTAssertNil(l.pixel(0))
        XCTAssertEqual(tickLabel(0.25), "0.25")
        XCTAssertEqual(tickLabel(1e-5), "1e-5")
        XCTAssertEqual(tickLabel(100000), "1e5")
    }

    func testLineChartContentAndPixels() {
        let chart = LineChart(title: "CE vs 𝓗 <GD>", xLabel: "step", yLabel: "nats", xScale: .log, yScale: .linear,
                              series: [Series(name: "GD", x: [1, 10, 100], y: [2, 1, 0.5]),
                                       Series(name: "𝓗", x: [1, 100], y: [0.4, 0.4], dashed: true)])
        let svg = chart.svg()
        // Frame x 70…540, y 36 (top) … 330 (bottom). x is log10 over [0, 2]: 1, 10, 100 → 70, 305, 540.
        // y spans 0.4…2, widened to multiples of the nice step 0.5 (0.32 rounds up to 0.5): [0, 2],
        // so y ↦ 330 − 147·y: 2 → 36, 1 → 183, 0.5 → 256.5, 0.4 → 271.2.
        XCTAssertTrue(svg.contains("points=\"70,36 305,183 540,256.50\""), svg)
        XCTAssertTrue(svg.contains("points=\"70,271.20 540,271.20\""), svg)
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.contains("CE vs 𝓗 &lt;GD&gt;"))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2)
        XCTAssertTrue(svg.contains("stroke-dasharray"))
        XCTAssertFalse(svg.contains("href"))
        // x = 1 is the left frame edge (70 px), x = 100 the right edge (540 px).
        XCTAssertTrue(svg.contains("points=\"70,"))
        XCTAssertTrue(svg.contains(" 540,"))
    }

    func testLogAxisDropsNonPositivePointsAndBreaksTheLine() {
        let chart = LineChart(title: "t", xLabel: "x", yLabel: "y", yScale: .log,
                              series: [Series(name: "s", x: [1, 2, 3, 4, 5], y: [1, 0.1, 0, 0.01, 0.001])])
        XCTAssertEqual(chart.svg().components(separatedBy: "<polyline").count - 1, 2)
    }

    func testArrowPlotAndGrid() {
        let p = ArrowPlot(title: "toy", arrows: [.init(label: "w1", x: 1, y: 0)], points: [.init(label: "h1", x: 0, y: -1)])
        let svg = p.svg()
        XCTAssertTrue(svg.contains("marker-end"))
        XCTAssertTrue(svg.contains(">w1<") && svg.contains(">h1<"))
        let c = LineChart(title: "a", xLabel: "x", yLabel: "y", series: [Series(name: "s", x: [0, 1], y: [0, 1])])
        let g = FigureGrid(charts: [c, c, c, c]).svg()
        XCTAssertTrue(g.contains("width=\"1120\" height=\"760\""))
    }

    func testPaperPanels() {
        let a = TrainingCurves(name: "GD", steps: [0, 10, 20], ce: [2, 1.5, 1.4], norm: [0, 3, 4],
                               cosineMM: [nil, 0.8, 0.9], cosineShiftedMM: [0, 0.95, 0.99], distanceToWStar: [3, 1, 0.5])
        let b = TrainingCurves(name: "Adam", steps: [0, 10, 20], ce: [2, 1.45, 1.41], norm: [0, 5, 6])
        let full = paperPanels([a, b], entropy: 1.3)
        XCTAssertEqual(full.charts.count, 4)
        XCTAssertEqual(full.charts[0].series.map(\.name), ["GD", "Adam", "𝓗"])
        XCTAssertEqual(full.charts[2].series.map(\.name), ["GD: cos(W, Wmm)", "GD: cos(W−W*, Wmm)"])
        XCTAssertEqual(full.charts[2].series[0].x, [10, 20])          // nil entries skipped
        XCTAssertEqual(paperPanels([b], entropy: 1.3).charts.count, 2)  // no reference: two panels
    }

    /// y spans [1, 4] (ticks of 1) over pixels 330 → 36, so y = 3, 4, 2, 1 sit at 134, 36, 232, 330;
    /// x spans [0, 10] over pixels 70 → 540. The band is one polygon (upper edge left to right, lower
    /// edge back) plus a whisker and two caps per abscissa; point markers add a dot per point.
    func testBandPolygonWhiskersAndPointMarkers() {
        let chart = LineChart(title: "t", xLabel: "x", yLabel: "y",
                              series: [Series(name: "median", x: [0, 10], y: [2, 3], pointMarkers: true)],
                              bands: [Band(x: [0, 10], lower: [1, 2], upper: [3, 4], color: "#123456")])
        let svg = chart.svg()
        XCTAssertTrue(svg.contains("<polygon points=\"70,134 540,36 540,232 70,330\" fill=\"#123456\""), svg)
        XCTAssertEqual(svg.components(separatedBy: "stroke=\"#123456\"").count - 1, 6)
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 2)
        // One point: no polygon, but the whisker is there.
        let one = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [Series(name: "m", x: [5], y: [2], pointMarkers: true)],
                            bands: [Band(x: [5], lower: [1], upper: [3], color: "#123456")]).svg()
        XCTAssertFalse(one.contains("<polygon"))
        XCTAssertEqual(one.components(separatedBy: "stroke=\"#123456\"").count - 1, 3)
    }
}
