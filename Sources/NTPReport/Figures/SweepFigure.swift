import NTPCore
import NTPFormats
import NTPPlot

/// The threshold figure of `sweep` and `analyze`: median d*/m against m per model, with its 95 %
/// order-statistic interval as a band (a whisker per m, so a single m still shows).
public func sweepFigure(_ r: SweepResult) -> String {
    let colors = ["real": plotPalette[0], "null-uniform": plotPalette[1], "null-frequency": plotPalette[2]]
    var series: [Series] = [], bands: [Band] = []
    let models = ["real"] + r.nulls.map { "null-" + $0.rawValue }
    for model in models {
        let pts = r.points.filter { $0.model == model && $0.median != nil }.sorted { $0.contexts < $1.contexts }
        guard !pts.isEmpty else { continue }
        let color = colors[model] ?? plotPalette[3]
        let label = model == "real" ? "real supports" : model == "null-uniform" ? "null: uniform supports" : "null: frequency-preserving supports"
        series.append(Series(name: label, x: pts.map { Double($0.contexts) }, y: pts.map { $0.median! }, color: color,
                             dashed: model != "real", pointMarkers: true))
        let withCI = pts.filter { $0.ciLower != nil }
        if !withCI.isEmpty {
            bands.append(Band(x: withCI.map { Double($0.contexts) }, lower: withCI.map { $0.ciLower! },
                              upper: withCI.map { $0.ciUpper! }, color: color))
        }
    }
    let ms = r.points.map(\.contexts)
    let wide = (ms.max() ?? 1) >= 4 * (ms.min() ?? 1)
    let embedding = r.embedding == .gaussian ? "Gaussian" : "positional Gaussian"
    return LineChart(title: "NTP-separability threshold, \(embedding) features",
                     xLabel: "contexts m (\(r.contextChoice.rawValue))",
                     yLabel: "d*/m: median and 95 % CI (\(counted(r.trialsPerPoint, "trial")))",
                     xScale: wide ? .log : .linear, series: series, legendAtBottom: false, bands: bands).svg()
}
