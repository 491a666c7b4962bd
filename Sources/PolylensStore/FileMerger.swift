import Foundation

/// What a merge added to its output.
public struct MergeSummary: Sendable {
    public var run: Int64
    public var documents: Int
    public var lensPrompts: Int
}

extension PolylensFile {
    /// Merges files ingested with one model over disjoint documents (shards run on several machines) into
    /// one run of `output`, creating it when missing: documents, summaries and lens prompts are copied and
    /// neuron statistics summed. Everything is checked before anything is written: different models or
    /// architectures and documents present twice are refused. Each input run is committed in one
    /// transaction. Neuron sets and ablation results are derived from the statistics and not carried over.
    public static func merge(into output: URL, from inputs: [URL]) throws -> MergeSummary {
        let outPath = output.standardizedFileURL.resolvingSymlinksInPath().path
        guard !inputs.isEmpty else { throw PolylensFileError("merge: no input files") }
        var seenPaths: Set<String> = []
        for input in inputs {
            let p = input.standardizedFileURL.resolvingSymlinksInPath().path
            if p == outPath { throw PolylensFileError("\(input.path): is also the output; merge into a new file") }
            if !seenPaths.insert(p).inserted { throw PolylensFileError("\(input.path): given twice") }
        }
        let sources = try inputs.map { try PolylensFile.open($0) }
        let existing = FileManager.default.fileExists(atPath: output.path) ? try PolylensFile.open(output) : nil

        // One model, one tokenizer, one architecture across everything.
        var reference: (file: String, info: RunInfo)? = try existing?.runs().first.map { (output.path, $0.info) }
        var inputRuns: [(file: PolylensFile, id: Int64, info: RunInfo)] = []
        for f in sources {
            for (id, info) in try f.runs() {
                if let r = reference {
                    try checkSameModel(info, f.path, id, r.info, r.file)
                } else {
                    reference = (f.path, info)
                }
                inputRuns.append((f, id, info))
            }
        }
        guard let reference else { throw PolylensFileError("merge: the inputs hold no runs") }

        // Disjoint documents and lens prompts.
        let outRun = try existing?.runs().first { $0.info.modelSHA256 == reference.info.modelSHA256 }?.id
        var documentOwner: [DocumentKey: String] = [:]
        var promptOwner: [LensPromptKey: String] = [:]
        if let existing, let outRun {
            for k in try existing.documentKeys(run: outRun) { documentOwner[k] = existing.path }
            for k in try existing.lensPromptKeys(run: outRun) { promptOwner[k] = existing.path }
        }
        for (f, id, _) in inputRuns {
            for k in try f.documentKeys(run: id) {
                if let other = documentOwner.updateValue(f.path, forKey: k) {
                    throw PolylensFileError("\(f.path): document \(k.language) sha256 \(k.sha256.prefix(12))…\(k.itemKey.map { " (item \($0))" } ?? "") is also in \(other); merge needs disjoint documents")
                }
            }
            for k in try f.lensPromptKeys(run: id) {
                if let other = promptOwner.updateValue(f.path, forKey: k) {
                    throw PolylensFileError("\(f.path): lens prompt \(k.source)→\(k.target) \(k.itemKey) is also in \(other); merge needs disjoint prompts")
                }
            }
        }

        let out = try PolylensFile.create(output)
        let run: Int64
        if let outRun {
            run = outRun
        } else {
            var info = reference.info
            let parameters = inputRuns.map(\.info.parametersJSON)
            if Set(parameters).count > 1 { info.parametersJSON = "{\"merged\": [\(parameters.joined(separator: ", "))]}" }
            run = try out.beginRun(info)
        }
        var summary = MergeSummary(run: run, documents: 0, lensPrompts: 0)
        for (f, id, _) in inputRuns {
            let documents = try f.documents(run: id)
            let index = Dictionary(uniqueKeysWithValues: documents.enumerated().map { (DocumentKey($0.element), $0.offset) })
            var batch = IngestBatch(documents: documents, stats: try f.neuronStats(run: id),
                                    lensPrompts: try f.lensPrompts(run: id))
            for pooling in Pooling.allCases {
                for (d, s) in try f.summaries(run: id, pooling: pooling) {
                    if let i = index[DocumentKey(d)] { batch.summaries.append((i, s)) }
                }
            }
            try out.commit(run: run, batch: batch)
            if try out.unembedding(run: run) == nil, let u = try f.unembedding(run: id) {
                try out.storeUnembedding(run: run, finalNorm: u.finalNorm, matrix: u.matrix, vocab: u.vocab, dim: u.dim)
            }
            summary.documents += documents.count
            summary.lensPrompts += batch.lensPrompts.count
        }
        return summary
    }

    private static func checkSameModel(_ a: RunInfo, _ aFile: String, _ aRun: Int64, _ b: RunInfo, _ bFile: String) throws {
        let differences = [
            a.modelSHA256 != b.modelSHA256 ? "model sha256 \(a.modelSHA256.prefix(12))… vs \(b.modelSHA256.prefix(12))…" : nil,
            a.tokenizerSHA256 != b.tokenizerSHA256 ? "tokenizer sha256 \(a.tokenizerSHA256.prefix(12))… vs \(b.tokenizerSHA256.prefix(12))…" : nil,
            a.architectureJSON != b.architectureJSON ? "architecture \(a.architectureJSON) vs \(b.architectureJSON)" : nil,
        ].compactMap { $0 }
        if !differences.isEmpty {
            throw PolylensFileError("\(aFile): run \(aRun) was made with a different model than \(bFile) (\(differences.joined(separator: "; "))); merge combines shards of one model only")
        }
    }
}
