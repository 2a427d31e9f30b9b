import ArgumentParser

/// `DATA`: the data set a command reads (train, solve, check, sweep).
struct DataSetInput: ParsableArguments {
    @Argument(help: "A data set (.npz) written by `ntpsep ingest` (or `synth`, `merge`).")
    var data: String
}
