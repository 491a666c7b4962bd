import Foundation

/// The whole study on one self-contained page: inline CSS and SVG, no scripts, nothing fetched.
public enum HTMLReport {
    public static func render(_ data: ReportData) -> String {
        var html = HTMLWriter()
        html.trusted("<!DOCTYPE html>\n")
        html.element("html", [("xmlns", "http://www.w3.org/1999/xhtml"), ("lang", "en")]) { html in
            html.element("head") { head in
                head.void("meta", [("charset", "utf-8")])
                head.void("meta", [("name", "viewport"), ("content", "width=device-width, initial-scale=1")])
                head.element("title", text: "Polylens report: \(data.title)")
                head.element("style") { $0.trusted(styleSheet) }
            }
            html.newline()
            html.element("body") { body in
                body.element("header") { header in
                    header.element("h1", text: "Polylens report")
                    header.element("p", [("class", "subtitle")], text: data.title)
                    navigation(data, into: &header)
                }
                body.newline()
                body.element("section", [("id", ReportData.summaryID), ("class", "report-section")]) { section in
                    section.element("h2", text: ReportData.summaryHeading)
                    data.renderSummary(into: &section)
                }
                for id in ReportSectionID.allCases {
                    body.newline()
                    body.element("section", [("id", id.rawValue), ("class", "report-section")]) { section in
                        section.element("h2", text: id.heading)
                        renderSection(id, data, into: &section)
                    }
                }
                body.newline()
                body.element("footer") {
                    $0.text("Written by Polylens \(data.provenance?.reportVersion ?? "") · definitions: METHODS.md · no scripts, no external resources.")
                }
            }
        }
        html.newline()
        return html.output
    }

    /// Whether the page has data for a section.
    static func has(_ id: ReportSectionID, _ data: ReportData) -> Bool {
        switch id {
        case .provenance: return data.provenance != nil
        case .lens: return data.lens != nil
        case .mexa: return data.mexa != nil
        case .lape: return data.lape != nil
        case .ablation: return data.ablation != nil
        }
    }

    /// A section's details, folded: the findings above already show its headline chart and reading.
    private static func renderSection(_ id: ReportSectionID, _ data: ReportData, into html: inout HTMLWriter) {
        guard has(id, data) else { html.noData(data.absentReasons[id] ?? defaultAbsence(id)); return }
        if id == .provenance, let p = data.provenance { html.paragraph(p.headline, class: "method") }
        html.element("details") { details in
            details.element("summary", text: detailsLabel(id, data))
            switch id {
            case .provenance: data.provenance?.render(into: &details)
            case .lens: data.lens?.render(into: &details)
            case .mexa: data.mexa?.render(into: &details)
            case .lape: data.lape?.render(into: &details)
            case .ablation: data.ablation?.render(into: &details)
            }
        }
    }

    /// What opening a section's details shows, with its size, so the reader knows before unfolding it.
    static func detailsLabel(_ id: ReportSectionID, _ data: ReportData) -> String {
        switch id {
        case .lens:
            let n = data.lens?.pairs.count ?? 0
            return "Method, the average's top tokens, and \(n) pair\(n == 1 ? "" : "s") with curves and top tokens"
        case .mexa:
            let at = (data.mexa?.heatmapLayers ?? []).map { $0 == 0 ? "the embeddings" : "layer \($0)" }
            return "Method, intervals, and every pair at " + at.joined(separator: ", ")
        case .lape:
            return "Method, warnings, overlap between languages, shared neurons" + (data.lape?.cards == nil ? "" : ", each language's top neurons with contexts")
        case .ablation:
            return "Which run and set, every language against every language, the full table"
        case .provenance:
            return "Model, tokenizer, architecture, corpora per language, every ingest parameter"
        }
    }

    static func defaultAbsence(_ id: ReportSectionID) -> String {
        switch id {
        case .provenance: return "The file records no ingest run."
        case .lens: return "The file holds no logit-lens prompts (ingest with the parallel snippets to store them)."
        case .mexa: return "The file holds no pooled hidden states of parallel snippets."
        case .lape: return "The file holds no neuron statistics."
        case .ablation: return "The file holds no ablation results (run `polylens ablate`)."
        }
    }

    private static func navigation(_ data: ReportData, into html: inout HTMLWriter) {
        html.element("nav") { nav in
            nav.element("ul") { list in
                list.element("li") { $0.element("a", [("href", "#\(ReportData.summaryID)")], text: ReportData.summaryHeading) }
                for id in ReportSectionID.allCases {
                    list.element("li") { item in
                        item.element("a", [("href", "#\(id.rawValue)")], text: id.heading)
                        if !has(id, data) { item.element("span", [("class", "absent")], text: " (no data)") }
                    }
                }
            }
        }
    }

    /// Local font stacks only; colours chosen for contrast; charts scale down on narrow windows.
    static let styleSheet = """
    body { font-family: system-ui, "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1d1d1d;
      background: #fafafa; margin: 0 auto; max-width: 1180px; padding: 0 24px 48px; line-height: 1.45; }
    header { border-bottom: 2px solid #0072B2; margin-bottom: 8px; }
    h1 { margin: 16px 0 0; font-size: 26px; }
    h2 { border-bottom: 1px solid #ccc; padding-bottom: 4px; margin: 24px 0 8px; }
    h3 { margin-top: 24px; }
    .subtitle { color: #555; margin: 4px 0 8px; font-family: "DejaVu Sans Mono", monospace; }
    nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 20px; }
    nav a { color: #0b5394; }
    .absent { color: #888; }
    .no-data { background: #fff4e0; border-left: 4px solid #E69F00; padding: 8px 12px; }
    .method { color: #444; max-width: 900px; }
    .warning { color: #8a4b00; max-width: 900px; }
    figure { margin: 16px 0; background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: 8px;
      overflow-x: auto; }
    figure svg { max-width: 100%; height: auto; display: block; }
    figcaption { color: #333; font-size: 14px; margin-top: 6px; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 8px; }
    table { border-collapse: collapse; font-size: 13px; background: #fff; }
    th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
    th { background: #eef3f8; }
    td { overflow-wrap: anywhere; max-width: 760px; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; overflow-wrap: normal; }
    code, .token { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; }
    .token { background: #f0f0f0; padding: 0 3px; border-radius: 3px; white-space: pre; }
    a.csv { display: inline-block; margin: 4px 0; font-size: 13px; color: #0b5394; }
    .truncated { color: #666; font-size: 13px; }
    footer { margin-top: 48px; color: #777; font-size: 13px; }
    ul.findings { padding-left: 20px; margin: 8px 0; max-width: 1130px; }
    ul.findings li { margin: 4px 0; }
    a.finding-name { font-weight: bold; color: #1d1d1d; }
    .summary-charts figure { margin: 8px 0; }
    details { margin: 8px 0; }
    details > summary { cursor: pointer; color: #0b5394; padding: 4px 0; }
    details[open] > summary { margin-bottom: 8px; }
    """
}
