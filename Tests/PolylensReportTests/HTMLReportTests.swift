import XCTest
@testable import PolylensReport

final class HTMLReportTests: XCTestCase {
    private func section(_ page: XMLTree, _ id: ReportSectionID) throws -> XMLTree {
        try XCTUnwrap(page.elements("section").first { $0.attributes["id"] == id.rawValue }, "section \(id) missing")
    }

    private func seriesCounts(_ tree: XMLTree) -> [Int] {
        tree.elements("svg").map { $0.elements("g", class: "series").count }
    }

    /// Decodes a `data:text/csv;charset=utf-8;base64,` link.
    private func csv(_ link: XMLTree) throws -> String {
        let href = try XCTUnwrap(link.attributes["href"])
        let prefix = "data:text/csv;charset=utf-8;base64,"
        XCTAssertTrue(href.hasPrefix(prefix))
        return try XCTUnwrap(String(data: try XCTUnwrap(Data(base64Encoded: String(href.dropFirst(prefix.count)))), encoding: .utf8))
    }

    func testFullReportHasEverySectionWithItsFiguresAndNoExternalResources() throws {
        let html = HTMLReport.render(SampleReportData.full)
        let page = try XMLTree.parse(html)
        XCTAssertEqual(page.name, "html")
        XCTAssertEqual(page.elements("section").map { $0.attributes["id"] }, ["summary"] + ReportSectionID.allCases.map(\.rawValue),
                       "the findings first, provenance last")
        XCTAssertTrue(page.elements("p", class: "no-data").isEmpty)
        for forbidden in ["<script", "<link", "@import", "url(", "@font-face", "<iframe", "<img"] {
            XCTAssertFalse(html.contains(forbidden), forbidden)
        }
        XCTAssertTrue(page.elements("a").allSatisfy { ($0.attributes["href"] ?? "").hasPrefix("#") || ($0.attributes["href"] ?? "").hasPrefix("data:") })

        XCTAssertEqual(seriesCounts(try section(page, .lens)), [3, 1], "one line per token set in each pair's chart")
        let mexa = try section(page, .mexa)
        XCTAssertEqual(seriesCounts(mexa), [0, 0], "one heatmap per selected layer (the pivot chart is in the findings)")
        XCTAssertEqual(mexa.elements("svg").map { $0.elements("rect", class: "cell").count }, [9, 9])
        let lape = try section(page, .lape)
        XCTAssertEqual(seriesCounts(lape), [0], "the overlap (the counts chart is in the findings)")
        XCTAssertEqual(lape.elements("rect", class: "cell").count, 9)
        let summary = try XCTUnwrap(page.elements("section").first { $0.attributes["id"] == "summary" })
        XCTAssertEqual(seriesCounts(summary), [3, 3, 2], "MEXA pivots, LAPE languages, ablation own and control")
        XCTAssertEqual(summary.elements("rect", class: "bar").count, 3 * 5 + 2 * 2, "LAPE: language × layer, zeros included; ablation: 2 × 2")
        let ablation = try section(page, .ablation)
        XCTAssertEqual(ablation.elements("svg").map { $0.elements("rect", class: "cell").count }, [4, 4])
        XCTAssertTrue(summary.allText.contains("more than random neurons of the same per-layer counts for 2 of 2 languages, with the whole 95% interval above the control's mean for 2."))
        XCTAssertEqual(ablation.elements("code").map(\.text), ["5e5e5e5e5e5e5e5e…", #"{"per_language":400,"quantile":0.95}"#,
                                                               #"{"control_seeds":[0,1,2,3,4]}"#], "the set's identity and the run's settings")
        XCTAssertTrue(ablation.allText.contains("Shown: ablation #3"))
        XCTAssertTrue(ablation.allText.contains("Intervals: ΔNLL per token, percentile bootstrap"))

        for svg in page.elements("svg") {
            XCTAssertEqual(svg.children.first?.name, "title", "every chart has an accessible title")
            XCTAssertEqual(svg.children.dropFirst().first?.name, "desc")
        }
        for figure in page.elements("figure") {
            XCTAssertFalse(figure.elements("figcaption").first?.allText.isEmpty ?? true, "every figure has a caption")
        }
    }

    func testEveryFigureAndTableOffersItsCSV() throws {
        let page = try XMLTree.parse(HTMLReport.render(SampleReportData.full))
        let links = page.elements("a", class: "csv")
        let byName = Dictionary(links.map { ($0.attributes["download"] ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(byName.count, links.count, "download names are unique")
        let expectedHeaders = [
            "provenance-corpora.csv": "language,documents,tokens counted,held-out documents,held-out tokens,parallel snippets",
            "lens-c-python-curves.csv": "layer,English words,Python keywords,correct next token",
            "lens-c-python-top-tokens.csv": "layer,rank,token,probability",
            "mexa-pivot-averages.csv": "layer,C,C low,C high,\"C++ <&> \"\"x\"\"\",\"C++ <&> \"\"x\"\" low\",\"C++ <&> \"\"x\"\" high\",Python,Python low,Python high",
            "mexa-layer-5.csv": "language,C,\"C++ <&> \"\"x\"\"\",Python",
            "mexa-all.csv": "layer,language A,language B,score,low,high",
            "lape-counts-per-layer.csv": "layer,C,\"C++ <&> \"\"x\"\"\",Python",
            "lape-overlap.csv": "language,C,\"C++ <&> \"\"x\"\"\",Python",
            "lape-shared-by-all.csv": "layer,neuron",
            "ablation-matrix.csv": "ablated \\ evaluated,C,Python",
            "ablation-control-matrix.csv": "ablated \\ evaluated,C,Python",
            "ablation-results.csv": "ablated,evaluated,set,tokens,NLL before,NLL after,ΔNLL,ΔNLL low,ΔNLL high,control sd,control seeds,perplexity before,perplexity after",
        ]
        for (name, header) in expectedHeaders {
            let link = try XCTUnwrap(byName[name], "no CSV \(name)")
            let lines = try csv(link).components(separatedBy: "\r\n")
            XCTAssertEqual(lines.first, header, name)
        }
        let curves = try csv(byName["lens-c-python-curves.csv"]!).components(separatedBy: "\r\n")
        XCTAssertEqual(curves.count, 6 + 2, "header, 6 layers, trailing empty line")
        XCTAssertEqual(curves[6], "5,0.02,0.5,0.8")
        let tokens = try csv(byName["lens-c-python-top-tokens.csv"]!)
        XCTAssertTrue(tokens.contains("5,1,\"\n\",0.6"), "the CSV keeps the raw token; only the page shows ↵")
        XCTAssertEqual(try csv(byName["mexa-all.csv"]!).components(separatedBy: "\r\n").count, 6 * 9 + 2)
    }

    func testTokensAreShownVisiblyAndEscaped() throws {
        let page = try XMLTree.parse(HTMLReport.render(SampleReportData.full))
        let cells = try section(page, .lens).elements("td").map(\.text)
        XCTAssertTrue(cells.contains("␣if 0.200"))
        XCTAssertTrue(cells.contains("\u{2401}ctl 0.100"))
        XCTAssertTrue(cells.contains("<&> 0.050"))
        XCTAssertTrue(cells.contains("↵ 0.600"))
    }

    func testVocabularyPiecesReadAsText() {
        XCTAssertEqual(ReportNames.readablePiece("\u{2581}for"), " for")
        XCTAssertEqual(ReportNames.readablePiece("<0x0A>"), "\n")
        XCTAssertEqual(ReportNames.readablePiece("<0xE2>"), "<0xE2>", "a lone non-ASCII byte stays a byte")
        XCTAssertEqual(ReportNames.readablePiece("Ġfor"), "Ġfor")
        XCTAssertEqual(ReportNames.visibleToken(" for\n\t"), "␣for↵⇥")
    }

    func testEmptyDataSaysSoInEverySection() throws {
        var data = ReportData(title: "empty")
        data.absentReasons[.ablation] = "no neuron set was saved"
        let page = try XMLTree.parse(HTMLReport.render(data))
        for id in ReportSectionID.allCases {
            let s = try section(page, id)
            XCTAssertEqual(s.elements("p", class: "no-data").count, 1, id.rawValue)
            XCTAssertTrue(s.elements("svg").isEmpty)
        }
        XCTAssertEqual(try section(page, .ablation).elements("p", class: "no-data").first?.text, "No data: no neuron set was saved")
        XCTAssertEqual(try XCTUnwrap(page.elements("nav").first).elements("span", class: "absent").count, 5)
        let findings = try XCTUnwrap(page.elements("ul", class: "findings").first)
        XCTAssertEqual(findings.elements("span", class: "absent").map(\.text).last, "No data: no neuron set was saved",
                       "each finding says why it is missing")
    }

    func testPartialDataRendersWhatThereIs() throws {
        var data = ReportData(title: "partial", lape: SampleReportData.lape)
        data.mexa = MexaSection(languages: [], layers: [], scores: [], heatmapLayers: [], pivotAverages: [],
                                includesSelf: true, pooling: "last", items: 0)
        data.ablation = AblationSection(setName: "s", entries: [])
        data.lens = LensSection(pairs: [], method: "m")
        let page = try XMLTree.parse(HTMLReport.render(data))
        XCTAssertEqual(try section(page, .lape).elements("svg").count, 1)
        XCTAssertTrue(try section(page, .lape).elements("p", class: "no-data").isEmpty)
        for id in [ReportSectionID.provenance, .mexa, .lens, .ablation] {
            XCTAssertEqual(try section(page, id).elements("p", class: "no-data").count, 1, id.rawValue)
        }
    }

    func testInconsistentShapesDoNotCrash() throws {
        let mexa = MexaSection(languages: ["A", "B"], layers: [0, 1, 2], scores: [[[1]]], heatmapLayers: [0, 1, 9],
                               pivotAverages: [[0.5]], includesSelf: false, pooling: "weighted", items: 3)
        let lape = LapeSection(languages: ["A", "B"], layers: 3, countsPerLayer: [[1]], overlap: [],
                               sharedByAll: [], tau: 0.1, quantile: 0.95, selection: "x")
        let page = try XMLTree.parse(HTMLReport.render(ReportData(title: "ragged", mexa: mexa, lape: lape)))
        XCTAssertEqual(try section(page, .mexa).elements("svg").count, 1, "the one layer that has scores")
        XCTAssertTrue(try section(page, .lape).allText.contains("No neuron is selected for all 2 languages."))
    }
}
