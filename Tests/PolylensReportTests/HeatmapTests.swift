import XCTest
@testable import PolylensReport

final class HeatmapTests: XCTestCase {
    private func heatmap(rows: [String], columns: [String], values: [[Double]],
                         scale: Heatmap.ColorScale = .sequential(0...1)) -> Heatmap {
        Heatmap(title: "Alignment", description: "MEXA score of each pair.", rowLabels: rows, columnLabels: columns,
                values: values, rowAxis: AxisLabel("language"), columnAxis: AxisLabel("language"),
                valueLabel: AxisLabel("MEXA", unit: "fraction"), scale: scale)
    }

    func testOneCellPerEntryWithEscapedLabelsAndValues() throws {
        let rows = ["C", "C++ <&> \"x\"", "Java"], columns = ["a", "b", "c", "d"]
        let values = (0..<3).map { r in (0..<4).map { c in Double(r * 4 + c) / 11 } }
        let tree = try XMLTree.parse(heatmap(rows: rows, columns: columns, values: values).svg.document)
        let cells = tree.elements("rect", class: "cell")
        XCTAssertEqual(cells.count, 12)
        XCTAssertEqual(cells[4].elements("title").first?.text, "C++ <&> \"x\" / a: 0.36")
        let texts = tree.elements("text").map(\.text)
        XCTAssertTrue(texts.contains("C++ <&> \"x\""))
        XCTAssertTrue(texts.contains("1.00"), "value labels are written in small matrices")
        XCTAssertTrue(texts.contains("MEXA (fraction)"), "the colour scale names the value and its unit")
        XCTAssertEqual(cells[0].attributes["fill"], "#440154", "viridis starts dark purple")
    }

    func testLargeMatricesOmitValueLabels() throws {
        let n = 30
        let labels = (0..<n).map { "L\($0)" }
        let values = (0..<n).map { r in (0..<n).map { Double(r + $0) } }
        let tree = try XMLTree.parse(heatmap(rows: labels, columns: labels, values: values, scale: .sequential(nil)).svg.markup)
        XCTAssertEqual(tree.elements("rect", class: "cell").count, n * n)
        XCTAssertFalse(tree.elements("g", class: "cells").first!.children.contains { $0.name == "text" })
    }

    func testDivergingScaleIsWhiteAtZeroAndMissingValuesAreGrey() throws {
        let tree = try XMLTree.parse(heatmap(rows: ["x"], columns: ["neg", "zero", "pos", "missing"],
                                             values: [[-2, 0, 2, .nan]], scale: .diverging(maxAbs: nil)).svg.markup)
        let fills = tree.elements("rect", class: "cell").map { $0.attributes["fill"] }
        XCTAssertEqual(fills, ["#2166ac", "#f7f7f7", "#b2182b", "#d0d0d0"])
        XCTAssertTrue(tree.elements("text").contains { $0.text == "–" })
    }

    func testEmptyMatrixSaysSo() throws {
        let tree = try XMLTree.parse(heatmap(rows: [], columns: [], values: []).svg.markup)
        XCTAssertEqual(tree.elements("rect", class: "cell").count, 0)
        XCTAssertTrue(tree.elements("text").contains { $0.text == "no data" })
    }

    func testRaggedRowsAreMissingValuesNotACrash() throws {
        let tree = try XMLTree.parse(heatmap(rows: ["a", "b"], columns: ["x", "y"], values: [[0.5]]).svg.markup)
        XCTAssertEqual(tree.elements("rect", class: "cell").filter { $0.attributes["fill"] == "#d0d0d0" }.count, 3)
    }
}
