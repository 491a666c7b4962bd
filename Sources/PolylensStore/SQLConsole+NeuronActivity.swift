import GRDB

/// TEMP views over the activation histograms and top contexts (issue 12), created when the file has them:
/// `activation_bins(bin, lower, upper)`, `activation_histogram_rows(run, language, layer, neuron, bin, count)`
/// and `neuron_context_rows(run, scope, layer, neuron, rank, value, document, position, token)` (token: the
/// firing token's id; the window is `blob_at(tokens, (neuron * k + rank) * (before + 1 + after) + i)`).
extension SQLConsole {
    static let activationBinsView = "CREATE TEMP VIEW activation_bins(bin, lower, upper) AS VALUES "
        + (0..<ActivationBins.count).map { b in
            "(\(b), \(sqlNumber(ActivationBins.edges[b])), \(sqlNumber(ActivationBins.edges[b + 1])))"
        }.joined(separator: ", ")

    static let histogramRowsView = """
        CREATE TEMP VIEW activation_histogram_rows AS
        SELECT h.run_id AS run, h.language, h.layer, j.key / h.bins AS neuron, j.key % h.bins AS bin, j.value AS count
        FROM main.activation_histograms h, json_each(blob_json(h.counts)) j
        """

    static let contextRowsView = """
        CREATE TEMP VIEW neuron_context_rows AS
        SELECT c.run_id AS run, c.scope, c.layer, j.key / c.k AS neuron, j.key % c.k AS rank, j.value AS value,
               blob_at(c.document, j.key) AS document, blob_at(c.position, j.key) AS position,
               blob_at(c.tokens, j.key * (c.before + 1 + c.after) + c.before) AS token
        FROM main.neuron_contexts c, json_each(blob_json(c.value)) j WHERE j.value IS NOT NULL
        """

    static func createNeuronActivityViews(_ db: Database) throws {
        try db.execute(sql: activationBinsView)
        if try db.tableExists("activation_histograms") { try db.execute(sql: histogramRowsView) }
        if try db.tableExists("neuron_contexts") { try db.execute(sql: contextRowsView) }
    }

    private static func sqlNumber(_ x: Float) -> String {
        x.isFinite ? "\(Double(x))" : (x > 0 ? "9e999" : "-9e999")
    }
}
