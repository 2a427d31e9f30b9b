import NTPCore
import NTPFormats

/// `ntpsep synth`: synthetic NTP data as in the paper's App. A, optionally with Gaussian context
/// embeddings H written as .npy (for `--embedding file:H.npy`).
public struct SyntheticDataFile {
    /// What to draw.
    var spec: SyntheticSpec
    /// The data set (.npz).
    var output: String
    /// Embedding dimension, entry scale, seed (nil: the data seed + 1) and where H goes.
    var dimension: Int?
    var embeddingScale: Double
    var embeddingSeed: UInt64?
    var embeddingsOutput: String?

    /// A draw of `spec` written to `output`.
    public init(spec: SyntheticSpec, output: String, dimension: Int?, embeddingScale: Double, embeddingSeed: UInt64?,
                embeddingsOutput: String?) {
        self.spec = spec; self.output = output; self.dimension = dimension; self.embeddingScale = embeddingScale
        self.embeddingSeed = embeddingSeed; self.embeddingsOutput = embeddingsOutput
    }

    /// Draws and writes the data (and H); returns the line `synth` prints.
    public func run() throws -> String {
        try checkOutputs([output, embeddingsOutput], inputs: [])
        // H (d × m doubles) and its dense copy for the .npy.
        if let d = dimension {
            try AvailableMemory.require(product: [d, spec.contexts, 16], for: "--dim \(d) with \(counted(spec.contexts, "context"))", advice: "use a smaller --dim")
        }
        var data = try SyntheticData.generate(spec)
        var hNote = ""
        if let d = dimension, let path = embeddingsOutput {
            let eSeed = embeddingSeed ?? (spec.seed &+ 1)
            let f = SyntheticData.gaussianEmbeddings(dimension: d, contexts: data.contextCount, scale: embeddingScale, seed: eSeed)
            try SyntheticData.recordEmbedding(in: &data, dimension: d, scale: embeddingScale, seed: eSeed)
            try writeNPY(NPYArray(doubles: f.denseMatrix(), shape: [d, data.contextCount], fortranOrder: true), to: path)
            hNote = "; H \(d) × \(data.contextCount) (scale \(embeddingScale), seed \(eSeed)) -> \(path)"
        }
        try data.writeNPZ(to: output)
        return "m = \(data.contextCount), V = \(spec.vocabulary), n = \(spec.samples.map(String.init) ?? "exact"), 𝓗 = \(fixed(data.entropy(), 4)) nats -> \(output)\(hNote)"
    }
}
