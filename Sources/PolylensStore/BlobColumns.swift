/// Every blob column of the schema with the element types it may hold: what verify checks and info measures.
struct BlobColumn: Sendable {
    let table: String
    let column: String
    /// The first is what Polylens writes by default; hidden states may also be q8_0, or f32 where q8_0
    /// cannot hold a tensor (BlobCodec.encode).
    let dtypes: [BlobDType]
    /// SQL naming the row in messages, e.g. `'run ' || run_id || ', ' || language`.
    let key: String
    /// SQL giving the shape the row's other columns imply, as a JSON array (`json_array(layers, dim)`).
    var shape: String? = nil

    init(table: String, column: String, dtype: BlobDType..., key: String, shape: String? = nil) {
        self.table = table; self.column = column; dtypes = dtype; self.key = key; self.shape = shape
    }
}

extension BlobColumn {
    static let all: [BlobColumn] = [
        BlobColumn(table: "documents", column: "token_ids", dtype: .i32, key: "'document ' || id", shape: "json_array(tokens)"),
        BlobColumn(table: "neuron_stats", column: "active", dtype: .i64, key: statsKey, shape: "json_array(neurons)"),
        BlobColumn(table: "neuron_stats", column: "sum", dtype: .f64, key: statsKey, shape: "json_array(neurons)"),
        BlobColumn(table: "neuron_stats", column: "sumsq", dtype: .f64, key: statsKey, shape: "json_array(neurons)"),
        BlobColumn(table: "neuron_stats", column: "max", dtype: .f32, key: statsKey, shape: "json_array(neurons)"),
        BlobColumn(table: "summaries", column: "data", dtype: .f16, .q8_0, .f32, key: "'document ' || document_id || ', ' || pooling",
                   shape: "json_array(layers, dim)"),
        BlobColumn(table: "lens_prompts", column: "tokens", dtype: .i32, key: "'prompt ' || id"),
        BlobColumn(table: "lens_states", column: "data", dtype: .f16, .q8_0, .f32, key: "'prompt ' || prompt_id || ', layer ' || layer"),
        BlobColumn(table: "unembedding", column: "final_norm", dtype: .f32, key: "'run ' || run_id", shape: "json_array(dim)"),
        BlobColumn(table: "unembedding", column: "matrix", dtype: .f16, key: "'run ' || run_id", shape: "json_array(vocab, dim)"),
        BlobColumn(table: "neuron_set_members", column: "layers", dtype: .i32, key: "'set ' || set_id || ', ' || language"),
        BlobColumn(table: "neuron_set_members", column: "neurons", dtype: .i32, key: "'set ' || set_id || ', ' || language"),
        // Schema version 2 (002_compact_storage.sql).
        BlobColumn(table: "language_states", column: "sum", dtype: .f64, key: languageKey, shape: "json_array(dim)"),
        BlobColumn(table: "language_states", column: "sumsq", dtype: .f64, key: languageKey, shape: "json_array(dim)"),
        // Schema version 3 (003_lens_results.sql).
        BlobColumn(table: "token_sets", column: "token_ids", dtype: .i32, key: "'row ' || id || ', ' || name", shape: "json_array(count)"),
        BlobColumn(table: "lens_results", column: "top_ids", dtype: .i32, key: lensKey, shape: "json_array(layers, positions, top_k)"),
        BlobColumn(table: "lens_results", column: "top_probabilities", dtype: .f32, key: lensKey, shape: "json_array(layers, positions, top_k)"),
        BlobColumn(table: "lens_results", column: "correct_probability", dtype: .f32, key: lensKey, shape: "json_array(layers, positions)"),
        BlobColumn(table: "lens_results", column: "correct_rank", dtype: .i32, key: lensKey, shape: "json_array(layers, positions)"),
        BlobColumn(table: "lens_results", column: "entropy", dtype: .f32, key: lensKey, shape: "json_array(layers, positions)"),
        BlobColumn(table: "lens_results", column: "set_mass", dtype: .f32, key: lensKey, shape: "json_array(layers, positions, sets)"),
    ] + neuronActivity + shardPlans

    /// Schema/006_shard_plans.sql.
    static let shardPlans: [BlobColumn] = [
        BlobColumn(table: "planned_documents", column: "token_ids", dtype: .i32, key: "'planned document ' || ordinal"),
        BlobColumn(table: "planned_prompts", column: "tokens", dtype: .i32, key: "'planned prompt ' || ordinal"),
    ]

    /// Schema/004_neuron_activity.sql.
    static let neuronActivity: [BlobColumn] = [
        BlobColumn(table: "activation_histograms", column: "counts", dtype: .i32, key: statsKey, shape: "json_array(neurons, bins)"),
        BlobColumn(table: "neuron_contexts", column: "value", dtype: .f32, key: contextsKey, shape: "json_array(neurons, k)"),
        BlobColumn(table: "neuron_contexts", column: "document", dtype: .i64, key: contextsKey, shape: "json_array(neurons, k)"),
        BlobColumn(table: "neuron_contexts", column: "position", dtype: .i32, key: contextsKey, shape: "json_array(neurons, k)"),
        BlobColumn(table: "neuron_contexts", column: "tokens", dtype: .i32, key: contextsKey, shape: "json_array(neurons, k, before + 1 + after)"),
    ]
    private static let contextsKey = "'run ' || run_id || ', ' || scope || ', layer ' || layer"

    private static let lensKey = "'prompt ' || prompt_id"
    private static let statsKey = "'run ' || run_id || ', ' || language || ', layer ' || layer"
    private static let languageKey = statsKey
}
