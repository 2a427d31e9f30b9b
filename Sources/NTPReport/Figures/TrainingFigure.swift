import NTPCore
import NTPPlot

/// The paper's four panels (CE against 𝓗, ‖W‖, the cosines, ‖P_𝓕(W) − W*‖) for one or more runs
/// (e.g. GD, NGD and Adam), from their log rows: `train --plot`, `analyze` and `reproduce` draw it.
public func trainingFigure(runs: [(name: String, rows: [LogRow])], entropy: Double) -> String {
    let curves = runs.map { name, rows in
        TrainingCurves(name: name, steps: rows.map { Double($0.step) }, ce: rows.map(\.ce), norm: rows.map(\.norm),
                       cosineMM: rows.map(\.cosineMM), cosineShiftedMM: rows.map(\.cosineShiftedMM),
                       distanceToWStar: rows.map(\.distanceToWStar))
    }
    return paperPanels(curves, entropy: entropy).svg()
}
