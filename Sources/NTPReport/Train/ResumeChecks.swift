import Foundation
import NTPCore
import NTPFormats

/// What a checkpoint records of the run that wrote it, besides its `TrainingOptions` (which fix the
/// optimizer, η, the initialization, the batches, their seed and the log cadence).
struct CheckpointMetadata: Codable {
    /// DATA as given (only for messages: a data set may move; `dataFingerprint` identifies it).
    var data: String
    /// --embedding as given.
    var embedding: String
    /// --precision of the loss kernels.
    var precision: String
    /// --reference of the run (nil in checkpoints written before it was recorded).
    var reference: String?
    /// `DataSet.fingerprint` of DATA as 0x + 16 hex digits (nil in checkpoints written before it was
    /// recorded): QA resumed a checkpoint on another data set with the same V·d and got exit 0 and a
    /// W trained half on each.
    var dataFingerprint: String?
    /// `ContextFeatures.checksum` of a `file:` embedding as 0x + 8 hex digits (nil for the other
    /// embeddings, which their spec fixes, and in older checkpoints): the path alone let a resume
    /// take a file saved again with other values.
    var embeddingChecksum: String?

    enum CodingKeys: String, CodingKey {
        case data, embedding, precision, reference, dataFingerprint = "data_fingerprint", embeddingChecksum = "embedding_crc32"
    }

    /// The metadata of a checkpoint's JSON text; nil when it is not this shape (e.g. `{}`).
    init?(json: String) {
        guard let decoded = try? JSONDecoder().decode(CheckpointMetadata.self, from: Data(json.utf8)) else { return nil }
        self = decoded
    }

    init(data: String, embedding: String, precision: String, reference: String?, dataFingerprint: String?,
         embeddingChecksum: String?) {
        self.data = data; self.embedding = embedding; self.precision = precision
        self.reference = reference; self.dataFingerprint = dataFingerprint; self.embeddingChecksum = embeddingChecksum
    }
}

/// `x` as 0x and 16 hex digits, as fingerprints are shown and stored.
func hex(_ x: UInt64) -> String {
    let digits = String(x, radix: 16)
    return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
}

/// The checksum a checkpoint records for these features under `spec`: a `file:` embedding's
/// (0x + 8 hex digits), nil for the others.
func embeddingChecksum(_ features: ContextFeatures, spec: EmbeddingSpec) -> String? {
    guard case .file = spec else { return nil }
    let digits = String(features.checksum, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

extension TrainingRun {
    /// Refuses a resume whose command line says something the checkpoint `c` fixes otherwise: each
    /// option given (optimizer, η, init, batches, seed, log cadence, precision) must be the checkpoint's,
    /// and --embedding must be the one it was trained under. They were silently replaced by the
    /// checkpoint's (QA: `--optimizer gd --lr 0.5` gave the Adam run's bytes), or for --embedding and
    /// --precision silently used, mixing two runs in one W. --steps and --reference may change.
    func checkResumable(_ c: TrainingCheckpoint, recorded: CheckpointMetadata?) throws {
        let path = resume ?? ""
        func conflict(_ option: String, _ given: String, _ theirs: String) -> UserError {
            UserError("\(option) \(given) conflicts with the checkpoint's \(theirs) (\(path)); drop it or start a new run without --resume")
        }
        let o = c.options
        if let optimizer, optimizer != o.optimizer.kind {
            throw conflict("--optimizer", optimizer.rawValue, o.optimizer.kind.rawValue)
        }
        if let learningRate, learningRate != o.optimizer.learningRate {
            throw conflict("--lr", "\(learningRate)", "\(o.optimizer.learningRate)")
        }
        if let initialization, try Initialization(parsing: initialization) != o.initialization {
            throw conflict("--init", initialization, o.initialization.description)
        }
        if let batchContexts, batchContexts != o.batchContexts {
            throw conflict("--batch-contexts", "\(batchContexts)", o.batchContexts.map { "\($0)" } ?? "full batch")
        }
        if let seed, seed != o.seed { throw conflict("--seed", "\(seed)", "\(o.seed)") }
        if let logEvery, logEvery != o.logEvery { throw conflict("--log-every", "\(logEvery)", "\(o.logEvery)") }
        guard let recorded else { return }
        if let precision, precision.rawValue != recorded.precision {
            throw conflict("--precision", precision.rawValue, recorded.precision)
        }
        let ours = try EmbeddingSpec(parsing: embedding)
        // A `file:` embedding is identified by the checksum of its matrix when the checkpoint has one
        // (`checkResumedEmbedding`): a copy or another spelling of the path is the same H.
        if case .file = ours, recorded.embeddingChecksum != nil, recorded.embedding.hasPrefix("file:") { return }
        if let theirs = try? EmbeddingSpec(parsing: recorded.embedding), ours != theirs {
            throw UserError("checkpoint \(path) was trained under --embedding \(recorded.embedding), not \(embedding); resume with --embedding \(recorded.embedding) or start a new run without --resume")
        }
    }

    /// Refuses a checkpoint trained under a `file:` embedding whose matrix has changed since (the
    /// checksum it records; older checkpoints record none and are resumed on the path alone).
    func checkResumedEmbedding(_ checksum: String?, recorded: CheckpointMetadata?) throws {
        guard let stored = recorded?.embeddingChecksum, let checksum, stored != checksum else { return }
        throw UserError("checkpoint \(resume ?? "") was trained under another matrix than the one now in --embedding \(embedding) (CRC-32 \(stored) then, \(checksum) now); resume with the file as it was, or start a new run without --resume")
    }

    /// Refuses a checkpoint trained on other data than `dataSet` (DATA), by the fingerprint it records;
    /// a checkpoint from before the fingerprint is resumed on its V·d alone, with one note.
    func checkResumedData(_ dataSet: DataSet, recorded: CheckpointMetadata?) throws {
        let path = resume ?? ""
        guard let stored = recorded?.dataFingerprint else {
            progress("note: checkpoint \(path) records no data fingerprint (written by an older ntpsep): it cannot be checked against \(data)")
            return
        }
        let ours = hex(dataSet.fingerprint)
        guard stored == ours else {
            throw UserError("checkpoint \(path) was trained on other data (\(recorded?.data ?? "?"), fingerprint \(stored)) than \(data) (fingerprint \(ours)); resume with the interrupted run's data set or start a new run without --resume")
        }
    }
}
