import Foundation

/// The layout every x–y chart shares: title on top, plot area, axes with ticks, legend on the right.
struct ChartFrame {
    let width: Double
    let height: Double
    let plotLeft: Double
    let plotTop: Double
    let plotRight: Double
    let plotBottom: Double

    /// Reserves room for the y tick labels and for a legend as wide as its longest name.
    init(width: Double, height: Double, legendNames: [String], yTickWidth: Double = 48) {
        self.width = width; self.height = height
        let legendWidth = legendNames.isEmpty ? 0 : min(width * 0.35, 34 + (legendNames.map { SVG.textWidth($0) }.max() ?? 0))
        plotLeft = 30 + yTickWidth
        plotTop = 42
        plotRight = max(plotLeft + 40, width - 16 - legendWidth)
        plotBottom = max(plotTop + 40, height - 52)
    }

    func title(_ title: String) -> SVGElement {
        SVG.text(title, x: width / 2, y: 22, anchor: .middle, size: 15, weight: "bold")
    }

    /// Axis lines, tick marks with labels, horizontal grid lines, and both axis titles.
    func axes(xTicks: [(pixel: Double, label: String)], yTicks: [(pixel: Double, label: String)],
              xLabel: AxisLabel, yLabel: AxisLabel) -> SVGElement {
        var parts: [SVGElement] = []
        for tick in yTicks {
            parts.append(SVG.line(plotLeft, tick.pixel, plotRight, tick.pixel, stroke: "#e3e3e3"))
            parts.append(SVG.line(plotLeft - 5, tick.pixel, plotLeft, tick.pixel))
            parts.append(SVG.text(tick.label, x: plotLeft - 8, y: tick.pixel + 4, anchor: .end, size: 11))
        }
        for tick in xTicks {
            parts.append(SVG.line(tick.pixel, plotBottom, tick.pixel, plotBottom + 5))
            parts.append(SVG.text(tick.label, x: tick.pixel, y: plotBottom + 18, anchor: .middle, size: 11))
        }
        parts.append(SVG.line(plotLeft, plotBottom, plotRight, plotBottom))
        parts.append(SVG.line(plotLeft, plotTop, plotLeft, plotBottom))
        parts.append(SVG.text(xLabel.text, x: (plotLeft + plotRight) / 2, y: height - 12, anchor: .middle, size: 12))
        let yMid = (plotTop + plotBottom) / 2
        parts.append(SVG.text(yLabel.text, x: 16, y: yMid, anchor: .middle, size: 12, rotate: -90))
        return SVG.group([("class", "axes")], parts)
    }

    /// Shown inside the plot area when there is nothing to draw, so an empty chart is never mistaken for zeros.
    func noData(_ message: String = "no data") -> SVGElement {
        SVG.text(message, x: (plotLeft + plotRight) / 2, y: (plotTop + plotBottom) / 2, anchor: .middle,
                 size: 14, fill: "#777777")
    }

    enum Swatch { case line(color: String, dash: String?), bar(series: Int) }

    /// One entry per series, right of the plot, in series order.
    func legend(_ entries: [(name: String, swatch: Swatch)]) -> SVGElement {
        let x = plotRight + 16
        var parts: [SVGElement] = []
        for (i, entry) in entries.enumerated() {
            let y = plotTop + 8 + Double(i) * 18
            let swatch: SVGElement
            switch entry.swatch {
            case .line(let color, let dash):
                swatch = SVG.polyline([(x, y), (x + 22, y)], stroke: color, width: 2.5, dash: dash)
            case .bar(let series):
                swatch = SVGElement("rect", [("x", SVG.num(x + 5)), ("y", SVG.num(y - 6)), ("width", "12"), ("height", "12")]
                                    + Palette.barAttributes(series))
            }
            parts.append(SVG.group([("class", "legend-entry")],
                                   [swatch, SVG.text(entry.name, x: x + 28, y: y + 4, size: 12)]))
        }
        return SVG.group([("class", "legend")], parts)
    }
}
