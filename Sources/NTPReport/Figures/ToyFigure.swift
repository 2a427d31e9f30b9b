import NTPFormats
import NTPPlot

/// `reproduce`'s 2-D toy: the rows of W^mm (word embeddings, scaled by `scale` to the contexts'
/// length) as arrows, tokens with equal rows sharing one ("w0=w2"), and the context embeddings h̄_j
/// as points labelled with their supports. `weights` is V × 2 row-major, `h` 2 × m column-major.
func toyFigure(data: DataSet, weights: [Double], h: [Double], scale c: Double, tolerance: Double) -> String {
    let v = data.vocabularySize, m = data.contextCount, d = 2
    var groups: [[Int]] = []
    for z in 0..<v {
        let dx = { (g: [Int]) in abs(weights[g[0] * d] - weights[z * d]) + abs(weights[g[0] * d + 1] - weights[z * d + 1]) }
        if let i = groups.firstIndex(where: { dx($0) <= tolerance }) { groups[i].append(z) } else { groups.append([z]) }
    }
    let arrows = groups.map { g in
        ArrowPlot.Item(label: g.map { "w\($0)" }.joined(separator: "="), x: c * weights[g[0] * d], y: c * weights[g[0] * d + 1])
    }
    let points = (0..<m).map { j -> ArrowPlot.Item in
        let support = (data.rowOffsets[j]..<data.rowOffsets[j + 1]).map { "\(data.columns[$0])" }.joined(separator: ",")
        return ArrowPlot.Item(label: "h\(j) {\(support)}", x: h[j * d], y: h[j * d + 1])
    }
    let title = "2-D toy: rows of W^mm (×\(general(c, 3))) and contexts h_j {S_j}"
    return ArrowPlot(title: title, arrows: arrows, points: points).svg()
}
