import XCTest
@testable import PolylensReport

final class LineChartTests: XCTestCase {
    private func chart(_ series: [LineChart.Series], logY: Bool = false) -> LineChart {
        LineChart(title: "Probability by layer", description: "Mass of each token set at each layer.",
                  xLabel: AxisLabel("layer", unit: "0 = embeddings"), yLabel: AxisLabel("probability", unit: "0–1"),
                  series: series, logY: logY, yRange: logY ? nil : 0...1)
    }

    func testOneGroupAndLegendEntryPerSeries() throws {
        let tree = try XMLTree.parse(chart([
            .init(name: "English", values: [0.1, 0.3, 0.2]),
            .init(name: "C++ <&> \"x\"", values: [0.0, 0.1, 0.6]),
            .init(name: "target token", values: [0.01, 0.02, 0.9]),
        ]).svg.document)
        XCTAssertEqual(tree.name, "svg")
        XCTAssertEqual(tree.children.first?.name, "title")
        XCTAssertEqual(tree.elements("desc").first?.text, "Mass of each token set at each layer.")
        let series = tree.elements("g", class: "series")
        XCTAssertEqual(series.map { $0.attributes["data-name"] }, ["English", "C++ <&> \"x\"", "target token"])
        XCTAssertEqual(series.map { $0.elements("polyline").count }, [1, 1, 1])
        XCTAssertEqual(tree.elements("g", class: "legend-entry").map { $0.elements("text").first?.text },
                       ["English", "C++ <&> \"x\"", "target token"])
        let texts = tree.elements("text").map(\.text)
        XCTAssertTrue(texts.contains("layer (0 = embeddings)"))
        XCTAssertTrue(texts.contains("probability (0–1)"))
        XCTAssertTrue(texts.contains("0.6"))
    }

    func testGapsBreakTheLine() throws {
        let tree = try XMLTree.parse(chart([.init(name: "a", values: [0.1, 0.2, .nan, 0.3, 0.4])]).svg.markup)
        XCTAssertEqual(tree.elements("g", class: "series").first?.elements("polyline").count, 2)
    }

    func testLogAxisSkipsZerosAndLabelsDecades() throws {
        let tree = try XMLTree.parse(chart([.init(name: "p", values: [1e-4, 0, 1e-2, 0.5])], logY: true).svg.markup)
        let series = try XCTUnwrap(tree.elements("g", class: "series").first)
        XCTAssertEqual(series.elements("polyline").count, 1, "the zero splits the curve into a point and a line")
        XCTAssertEqual(series.elements("circle").count, 3)
        XCTAssertTrue(tree.elements("text").map(\.text).contains("1e-4"))
    }

    func testEmptyDataSaysSo() throws {
        for series in [[], [LineChart.Series(name: "none", points: [])], [.init(name: "nan", values: [.nan, .nan])]] {
            let tree = try XMLTree.parse(chart(series).svg.markup)
            XCTAssertTrue(tree.elements("text").contains { $0.text == "no data" })
            XCTAssertEqual(tree.elements("g", class: "series").count, series.count)
            XCTAssertTrue(tree.elements("g", class: "series").allSatisfy { $0.elements("polyline").isEmpty })
        }
    }
}
