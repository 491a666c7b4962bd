import Foundation

/// A matrix of values with row and column labels, a colour-scale legend, and the numbers written
/// in the cells when there are few enough to read.
public struct Heatmap: Sendable {
    public enum ColorScale: Sendable {
        /// Viridis from the lower to the upper bound (nil: the data's range).
        case sequential(ClosedRange<Double>?)
        /// Blue below zero, white at zero, red above, symmetric to ± the bound (nil: the largest |value|).
        case diverging(maxAbs: Double?)
    }

    public var title: String
    public var description: String
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// rows × columns; a non-finite entry is a missing value, drawn grey.
    public var values: [[Double]]
    public var rowAxis: AxisLabel
    public var columnAxis: AxisLabel
    /// What a cell's value is, with its unit; titles the colour legend.
    public var valueLabel: AxisLabel
    public var scale: ColorScale
    /// Decimals of the numbers in the cells and the legend.
    public var decimals: Int
    /// nil: write the numbers when the matrix has at most 16 columns and 400 cells.
    public var showValues: Bool?

    public init(title: String, description: String, rowLabels: [String], columnLabels: [String],
                values: [[Double]], rowAxis: AxisLabel, columnAxis: AxisLabel, valueLabel: AxisLabel,
                scale: ColorScale = .sequential(nil), decimals: Int = 2, showValues: Bool? = nil) {
        self.title = title; self.description = description; self.rowLabels = rowLabels
        self.columnLabels = columnLabels; self.values = values; self.rowAxis = rowAxis
        self.columnAxis = columnAxis; self.valueLabel = valueLabel; self.scale = scale
        self.decimals = decimals; self.showValues = showValues
    }

    private func value(_ r: Int, _ c: Int) -> Double {
        r < values.count && c < values[r].count ? values[r][c] : .nan
    }

    /// The bounds the colours span and the colour of a value.
    private func colorMapping() -> (lower: Double, upper: Double, color: (Double) -> String) {
        let finite = values.joined().filter { $0.isFinite }
        switch scale {
        case .sequential(let fixed):
            let lo = fixed?.lowerBound ?? finite.min() ?? 0
            var hi = fixed?.upperBound ?? finite.max() ?? 1
            if hi <= lo { hi = lo + 1 }
            return (lo, hi, { Palette.interpolate(Palette.viridis, ($0 - lo) / (hi - lo)) })
        case .diverging(let bound):
            var m = bound ?? finite.map { abs($0) }.max() ?? 1
            if !(m > 0) { m = 1 }
            return (-m, m, { Palette.interpolate(Palette.diverging, ($0 + m) / (2 * m)) })
        }
    }

    public var svg: SVGElement {
        let rows = rowLabels.count, columns = columnLabels.count
        let rowLabelWidth = min(180, (rowLabels.map { SVG.textWidth($0) }.max() ?? 0) + 10)
        let cell = max(14, min(52, 640 / Double(max(columns, 1)), 520 / Double(max(rows, 1))))
        let longestColumn = columnLabels.map { SVG.textWidth($0, size: 11) }.max() ?? 0
        let rotateColumns = longestColumn > cell - 4
        let columnLabelHeight = rotateColumns ? min(120, longestColumn * 0.75 + 14) : 20
        let left = 30 + rowLabelWidth, top = 42.0
        let gridWidth = cell * Double(columns), gridHeight = cell * Double(rows)
        let width = max(left + gridWidth + 130, SVG.textWidth(title, size: 15) + 40, 320)
        let legendHeight = max(min(gridHeight, 260), 120)
        let axisTitleY = top + max(gridHeight, rows == 0 ? 140 : 0) + columnLabelHeight + 18
        let height = max(axisTitleY + 12, top + legendHeight + 24)
        let mapping = colorMapping()
        let writeValues = showValues ?? (columns <= 16 && rows * columns <= 400 && cell >= 30)

        var parts = [SVG.text(title, x: width / 2, y: 22, anchor: .middle, size: 15, weight: "bold")]
        var cells: [SVGElement] = []
        for r in 0..<rows {
            for c in 0..<columns {
                let v = value(r, c)
                let x = left + Double(c) * cell, y = top + Double(r) * cell
                let fill = v.isFinite ? mapping.color(v) : "#d0d0d0"
                let shown = v.isFinite ? String(format: "%.\(decimals)f", v) : "no value"
                cells.append(SVG.rect(x: x, y: y, width: cell - 1, height: cell - 1, fill: fill,
                                      extra: [("class", "cell")],
                                      tooltip: "\(rowLabels[r]) / \(columnLabels[c]): \(shown)"))
                if writeValues {
                    cells.append(SVG.text(v.isFinite ? shown : "–", x: x + cell / 2, y: y + cell / 2 + 4,
                                          anchor: .middle, size: min(12, cell / 3.6),
                                          fill: v.isFinite ? Palette.textColor(on: fill) : "#555555"))
                }
            }
        }
        parts.append(SVG.group([("class", "cells")], cells))
        if rows == 0 || columns == 0 {
            parts.append(SVG.text("no data", x: left + 70, y: top + 70, anchor: .middle, size: 14, fill: "#777777"))
        }

        var labels: [SVGElement] = []
        for (r, label) in rowLabels.enumerated() {
            labels.append(SVG.text(label, x: left - 6, y: top + Double(r) * cell + cell / 2 + 4, anchor: .end, size: 11))
        }
        let columnY = top + gridHeight + 14
        for (c, label) in columnLabels.enumerated() {
            let x = left + Double(c) * cell + cell / 2
            labels.append(rotateColumns
                ? SVG.text(label, x: x, y: columnY, anchor: .end, size: 11, rotate: -45)
                : SVG.text(label, x: x, y: columnY, anchor: .middle, size: 11))
        }
        labels.append(SVG.text(columnAxis.text, x: left + max(gridWidth, 140) / 2, y: axisTitleY, anchor: .middle, size: 12))
        labels.append(SVG.text(rowAxis.text, x: 14, y: top + max(gridHeight, 140) / 2, anchor: .middle, size: 12, rotate: -90))
        parts.append(SVG.group([("class", "labels")], labels))
        parts.append(legend(x: left + max(gridWidth, 140) + 24, top: top, height: legendHeight, mapping: mapping))
        return SVG.root(width: width, height: height, title: title, description: description, parts)
    }

    /// A vertical colour bar in 32 steps (no gradient ids, which would collide between charts inlined in one page).
    private func legend(x: Double, top: Double, height: Double,
                        mapping: (lower: Double, upper: Double, color: (Double) -> String)) -> SVGElement {
        let steps = 32, barWidth = 14.0
        var parts: [SVGElement] = []
        for i in 0..<steps {
            let t = (Double(i) + 0.5) / Double(steps)
            let v = mapping.upper - t * (mapping.upper - mapping.lower)
            parts.append(SVG.rect(x: x, y: top + Double(i) * height / Double(steps), width: barWidth,
                                  height: height / Double(steps) + 0.5, fill: mapping.color(v)))
        }
        for (t, v) in [(0.0, mapping.upper), (0.5, (mapping.upper + mapping.lower) / 2), (1.0, mapping.lower)] {
            let y = top + t * height
            parts.append(SVG.line(x + barWidth, y, x + barWidth + 4, y))
            parts.append(SVG.text(String(format: "%.\(decimals)f", v), x: x + barWidth + 7, y: y + 4, size: 11))
        }
        parts.append(SVG.text(valueLabel.text, x: x - 6, y: top + height / 2, anchor: .middle, size: 11, rotate: -90))
        return SVG.group([("class", "color-scale")], parts)
    }
}
