import XCTest
@testable import PolylensReport

final class BarChartTests: XCTestCase {
    private func chart(_ categories: [String], _ series: [BarChart.Series]) -> BarChart {
        BarChart(title: "Neurons per layer", description: "Selected neurons per layer and language.",
                 categories: categories, series: series,
                 xLabel: AxisLabel("layer"), yLabel: AxisLabel("neurons", unit: "count"))
    }

    func testOneBarPerSeriesAndCategory() throws {
        let tree = try XMLTree.parse(chart(["0", "1", "2", "3", "4"], [
            .init(name: "C", values: [1, 2, 3, 4, 5]),
            .init(name: "C++ <&> \"x\"", values: [5, 4, 3, 2, 1]),
        ]).svg.document)
        let series = tree.elements("g", class: "series")
        XCTAssertEqual(series.map { $0.elements("rect", class: "bar").count }, [5, 5])
        XCTAssertEqual(series[1].attributes["data-name"], "C++ <&> \"x\"")
        XCTAssertEqual(tree.elements("g", class: "legend-entry").count, 2)
        // Taller value, taller bar.
        let heights = series[0].elements("rect", class: "bar").map { Double($0.attributes["height"]!)! }
        XCTAssertEqual(heights, heights.sorted())
        XCTAssertTrue(tree.elements("text").map(\.text).contains("neurons (count)"))
    }

    func testSeriesBeyondThePaletteStillLookDifferent() throws {
        let series = (0..<15).map { BarChart.Series(name: "s\($0)", values: [1]) }
        let tree = try XMLTree.parse(chart(["a"], series).svg.markup)
        let styles = tree.elements("rect", class: "bar").map {
            [$0.attributes["fill"], $0.attributes["fill-opacity"], $0.attributes["stroke-dasharray"]].map { $0 ?? "" }.joined(separator: "|")
        }
        XCTAssertEqual(styles.count, 15)
        XCTAssertEqual(Set(styles).count, 15, "\(styles)")
        let swatches = tree.elements("g", class: "legend-entry").map { $0.elements("rect").first?.attributes["fill-opacity"] ?? "1" }
        XCTAssertEqual(swatches.filter { $0 == "0.45" }.count, 8, "the legend shows the same styles")
    }

    func testMissingValuesDrawNoBarAndShortSeriesDoNotCrash() throws {
        let tree = try XMLTree.parse(chart(["a", "b", "c"], [.init(name: "s", values: [1, .nan])]).svg.markup)
        XCTAssertEqual(tree.elements("rect", class: "bar").count, 1)
    }

    func testNegativeValuesGrowDownFromZero() throws {
        let tree = try XMLTree.parse(chart(["a", "b"], [.init(name: "s", values: [2, -2])]).svg.markup)
        let bars = tree.elements("rect", class: "bar")
        XCTAssertEqual(Double(bars[0].attributes["y"]!)! + Double(bars[0].attributes["height"]!)!,
                       Double(bars[1].attributes["y"]!)!, accuracy: 0.02)
    }

    func testEmptyDataSaysSo() throws {
        let tree = try XMLTree.parse(chart([], []).svg.markup)
        XCTAssertTrue(tree.elements("text").contains { $0.text == "no data" })
        XCTAssertEqual(tree.elements("rect", class: "bar").count, 0)
    }
}
