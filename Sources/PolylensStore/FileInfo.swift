import Foundation
import GRDB

/// What `polylens info` reports: runs, their languages and documents, and how the bytes are spent.
public struct FileInfo: Codable, Sendable {
    public struct Language: Codable, Sendable {
        public var language: String
        public var documents: Int
        public var heldOutDocuments: Int
        /// Tokens of counted (not held-out) documents; the neuron statistics' n sums these per layer.
        public var tokens: Int
        public var heldOutTokens: Int
        public var bytes: Int
    }

    public struct Run: Codable, Sendable {
        public var id: Int64
        public var modelPath: String
        public var modelFormat: String
        public var modelSHA256: String
        public var tokenizerPath: String
        public var tokenizerSHA256: String
        public var architecture: String
        public var parameters: String
        public var polylensVersion: String
        public var createdAt: String
        public var updatedAt: String
        public var languages: [Language]
        public var lensPrompts: Int
        /// Rows of language_states (language × layer); 0 in a version-1 file.
        public var languageStates: Int
        public var hasUnembedding: Bool
        public var neuronSets: [String]
        public var ablationResults: Int
    }

    /// Stored (compressed, with headers) and uncompressed bytes of one table's blobs.
    public struct Table: Codable, Sendable {
        public var table: String
        public var rows: Int
        public var blobs: Int
        public var storedBytes: Int
        public var rawBytes: Int
        /// rawBytes / storedBytes (1 when there are no blobs).
        public var compressionRatio: Double
    }

    public var path: String
    public var schemaVersion: Int
    /// The shard a shard plan or result shard holds (schema 6); nil elsewhere.
    public var shard: ShardInfo?
    /// Who computed each shard: one in a result shard, one per shard in a combined file.
    public var shardResults: [ShardInfo.Execution] = []
    /// The database file plus its write-ahead log.
    public var fileBytes: Int
    public var runs: [Run]
    public var tables: [Table]
    public var blobStoredBytes: Int
    public var blobRawBytes: Int
    /// Over all blobs: uncompressed / stored bytes.
    public var compressionRatio: Double

    init(path: String, schemaVersion: Int, fileBytes: Int, runs: [Run], tables: [Table]) {
        self.path = path; self.schemaVersion = schemaVersion; self.fileBytes = fileBytes
        self.runs = runs; self.tables = tables
        blobStoredBytes = tables.reduce(0) { $0 + $1.storedBytes }
        blobRawBytes = tables.reduce(0) { $0 + $1.rawBytes }
        compressionRatio = blobStoredBytes == 0 ? 1 : Double(blobRawBytes) / Double(blobStoredBytes)
    }
}

extension PolylensFile {
    public func info() throws -> FileInfo {
        let fileBytes = [path, path + "-wal"].reduce(0) { total, p in
            total + ((try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? 0)
        }
        return try guarded("read") { db in
            try requireStorageClasses(only: ["documents"], db)  // summed below
            var runs: [FileInfo.Run] = []
            for row in try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id").map({ StoredRow($0, of: "runs") }) {
                let id: Int64 = try row["id"]
                let languages = try Row.fetchAll(db, sql: """
                    SELECT language, count(*) FILTER (WHERE NOT held_out) AS documents,
                           count(*) FILTER (WHERE held_out) AS held_out_documents,
                           ifnull(sum(tokens) FILTER (WHERE NOT held_out), 0) AS tokens,
                           ifnull(sum(tokens) FILTER (WHERE held_out), 0) AS held_out_tokens,
                           ifnull(sum(bytes), 0) AS bytes
                    FROM documents WHERE run_id = ? GROUP BY language ORDER BY language
                    """, arguments: [id]).map { StoredRow($0, of: "documents") }.map {
                    try FileInfo.Language(language: $0["language"], documents: $0["documents"],
                                      heldOutDocuments: $0["held_out_documents"], tokens: $0["tokens"],
                                      heldOutTokens: $0["held_out_tokens"], bytes: $0["bytes"])
                }
                runs.append(try FileInfo.Run(
                    id: id, modelPath: row["model_path"], modelFormat: row["model_format"], modelSHA256: row["model_sha256"],
                    tokenizerPath: row["tokenizer_path"], tokenizerSHA256: row["tokenizer_sha256"],
                    architecture: row["architecture_json"], parameters: row["parameters_json"],
                    polylensVersion: row["polylens_version"], createdAt: row["created_at"], updatedAt: row["updated_at"],
                    languages: languages,
                    lensPrompts: try Int.fetchOne(db, sql: "SELECT count(*) FROM lens_prompts WHERE run_id = ?", arguments: [id]) ?? 0,
                    languageStates: try db.tableExists("language_states")
                        ? try Int.fetchOne(db, sql: "SELECT count(*) FROM language_states WHERE run_id = ?", arguments: [id]) ?? 0 : 0,
                    hasUnembedding: try Bool.fetchOne(db, sql: "SELECT 1 FROM unembedding WHERE run_id = ?", arguments: [id]) ?? false,
                    neuronSets: try String.fetchAll(db, sql: "SELECT name FROM neuron_sets WHERE run_id = ? ORDER BY name", arguments: [id]),
                    ablationResults: try Int.fetchOne(db, sql: "SELECT count(*) FROM ablation_results WHERE run_id = ?", arguments: [id]) ?? 0))
            }
            var tables: [FileInfo.Table] = []
            for table in Dictionary(grouping: BlobColumn.all, by: \.table).sorted(by: { $0.key < $1.key }) where try db.tableExists(table.key) {
                var t = FileInfo.Table(table: table.key, rows: try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.key)") ?? 0,
                                       blobs: 0, storedBytes: 0, rawBytes: 0, compressionRatio: 1)
                for c in table.value {
                    let blobs = try Data.fetchCursor(db, sql: "SELECT \(c.column) FROM \(c.table) WHERE \(c.column) IS NOT NULL")
                    while let data = try blobs.next() {
                        t.blobs += 1
                        t.storedBytes += data.count
                        t.rawBytes += try BlobCodec.header(data).rawBytes
                    }
                }
                if t.storedBytes > 0 { t.compressionRatio = Double(t.rawBytes) / Double(t.storedBytes) }
                tables.append(t)
            }
            var info = FileInfo(path: path, schemaVersion: try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0,
                                fileBytes: fileBytes, runs: runs, tables: tables)
            try addShards(to: &info, db)
            return info
        }
    }
}
