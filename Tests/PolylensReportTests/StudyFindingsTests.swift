import XCTest
@testable import PolylensReport

/// The findings' sentences, worked out by hand from the sample data.
final class StudyFindingsTests: XCTestCase {
    func testTheLensReadingNamesPeaksTheMiddleLayersAndTheCorrectToken() {
        // English peaks at layer 3 (0.3), Python keywords at 5 (0.5); middle third of 6 layers = 2–3:
        // English (0.2 + 0.3) / 2, keywords (0.05 + 0.1) / 2; the correct token goes from 0 to 0.8.
        XCTAssertEqual(StudyFindings.lens(SampleReportData.lens.pairs[0], pairs: 1),
                       "For C → Python, English words peak at layer 3 (30.0%) and the target's keywords peak at layer 5 (50.0%); "
                       + "in the middle third (layers 2–3) English words get 25.0% against at most 7.5% for either language's keywords, "
                       + "more than either; the correct next token rises from 0.0% at the embeddings to 80.0% at the last layer.")
        XCTAssertTrue(StudyFindings.lens(SampleReportData.lens.pairs[0], pairs: 42).hasPrefix("Averaged over all 42 pairs, "))
    }

    func testTheMexaReadingFindsThePeakLayerAndTheBestAndWorstPivot() {
        let m = MexaSection(languages: ["A", "B", "C"], layers: [0, 1, 2], scores: [], heatmapLayers: [],
                            pivotAverages: [[0.1, 0.6, 0.5], [0.1, 0.8, 0.4], [0.1, 0.3, 0.3]], includesSelf: false,
                            pooling: "weighted", items: 10)
        // Mean over pivots per layer: 0.1, 1.7 / 3, 1.2 / 3.
        XCTAssertEqual(StudyFindings.mexa(m), "Cross-lingual alignment, averaged over pivots, is 0.10 at the embeddings and peaks at "
                       + "layer 1 (0.57), ending at 0.40; there B aligns best with the others (0.80) and C least (0.30).")
    }

    func testTheLapeReadingCountsNeuronsByThirdOfTheLayers() {
        // Per layer over languages: 3, 4, 6, 7, 15 (35); thirds of 5 layers: 0, 1–2, 3–4 → 3, 10, 22 neurons.
        XCTAssertEqual(StudyFindings.lape(SampleReportData.lape),
                       "LAPE selects 35 neurons over 3 languages (10–15 per language); 63% of them lie in the last third "
                       + "(layers 3–4), most in layer 4 (15), and 1 is selected for every language.")
    }

    func testLapeLayersAreBlocksNotTheEmbeddings() {
        let l = LapeSection(languages: ["A", "B"], layers: 4, countsPerLayer: [[9, 0, 1, 0], [8, 1, 0, 1]], overlap: [], sharedByAll: [],
                            tau: 0.1, quantile: 0.95, selection: "x")
        XCTAssertEqual(StudyFindings.lape(l), "LAPE selects 20 neurons over 2 languages (10 per language); 85% of them lie in the first third "
                       + "(layer 0), most in layer 0 (17).")
    }

    func testTheAblationReadingComparesTheOwnSetWithTheControl() {
        let a = SampleReportData.ablation
        XCTAssertEqual(StudyFindings.ablation(a),
                       "Zeroing a language's own neurons changes its held-out NLL by +0.500 nats/token on average (+0.100 for the "
                       + "other languages); more than random neurons of the same per-layer counts for 2 of 2 languages, with the "
                       + "whole 95% interval above the control's mean for 2.")
        XCTAssertEqual(StudyFindings.ablationWarnings(a), [])
        XCTAssertEqual(StudyFindings.ownVersusControl(a).map(\.language), ["C", "Python"])
        for row in StudyFindings.ownVersusControl(a) { XCTAssertEqual(row.control, 0.05, accuracy: 1e-12) }

        var weak = a
        weak.entries = a.entries.map { e in
            var e = e
            if e.control { e.nllAfter = 2.49; e.spread = 0.01 }
            return e
        }
        weak.provenance?.setStatus = "replaced since"
        XCTAssertEqual(StudyFindings.ablationWarnings(weak), ["within two standard deviations of the control: C, Python",
                                                              "the set “lape” was replaced since this ablation"])
        let uncontrolled = AblationSection(setName: "s", entries: a.entries.filter { !$0.control })
        XCTAssertTrue(StudyFindings.ablation(uncontrolled).hasSuffix("; there is no random control to compare with."))
        XCTAssertEqual(StudyFindings.ablationWarnings(uncontrolled).count, 2, "no control, no provenance")
    }

    /// A language keeps its colour in every chart, whichever languages are drawn beside it.
    func testLanguagesHaveFixedColourSlots() {
        XCTAssertEqual(Palette.languageSlot("Python", among: ["Python"]), Palette.languageSlot("python", among: PaperShapedReport.languages))
        XCTAssertEqual(Set(PaperShapedReport.languages.map { Palette.languageSlot($0, among: PaperShapedReport.languages) }).count, 7)
        XCTAssertEqual(Palette.languageSlot("Rust", among: ["Go", "Rust", "C"]), 8, "unknown names follow the paper's seven, by name")
    }
}
