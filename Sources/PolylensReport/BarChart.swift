import Foundation

/// Grouped bars: for each category (e.g. a layer) one bar per series (e.g. a language).
public struct BarChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        /// One value per category; a non-finite value draws no bar.
        public var values: [Double]
        /// An interval per value (same order), drawn as an error bar; nil: none.
        public var errors: [(low: Double, high: Double)]?
        /// The palette slot (`Palette.barAttributes`); nil: the series' position (see `LineChart.Series.colorIndex`).
        public var colorIndex: Int?
        public init(name: String, values: [Double], errors: [(low: Double, high: Double)]? = nil, colorIndex: Int? = nil) {
            self.name = name; self.values = values; self.errors = errors; self.colorIndex = colorIndex
        }
    }

    public var title: String
    public var description: String
    public var categories: [String]
    public var series: [Series]
    public var xLabel: AxisLabel
    public var yLabel: AxisLabel
    public var width: Double
    public var height: Double

    public init(title: String, description: String, categories: [String], series: [Series],
                xLabel: AxisLabel, yLabel: AxisLabel, width: Double = 900, height: Double = 380) {
        self.title = title; self.description = description; self.categories = categories; self.series = series
        self.xLabel = xLabel; self.yLabel = yLabel; self.width = width; self.height = height
    }

    public var svg: SVGElement {
        let frame = ChartFrame(width: width, height: height, legendNames: series.map(\.name))
        let values = series.flatMap { s in
            s.values.prefix(categories.count) + (s.errors ?? []).prefix(categories.count).flatMap { [$0.low, $0.high] }
        }.filter { $0.isFinite }
        let y = AxisScale.linear(values: values, includeZero: true, pixels: (frame.plotBottom, frame.plotTop))
        let slot = (frame.plotRight - frame.plotLeft) / Double(max(categories.count, 1))
        let barWidth = slot * 0.8 / Double(max(series.count, 1))
        // Label every category when they fit, else every k-th.
        let every = max(1, Int((Double(categories.count) * 28 / (frame.plotRight - frame.plotLeft)).rounded(.up)))
        let xTicks = categories.enumerated().filter { $0.offset % every == 0 }.map {
            (frame.plotLeft + (Double($0.offset) + 0.5) * slot, $0.element)
        }
        var parts = [frame.title(title),
                     frame.axes(xTicks: xTicks,
                                yTicks: y.ticks().compactMap { t in y.pixel(t.value).map { ($0, t.label) } },
                                xLabel: xLabel, yLabel: yLabel)]
        if values.isEmpty || categories.isEmpty { parts.append(frame.noData()) }
        let zero = y.pixel(0) ?? frame.plotBottom
        for (s, seriesData) in series.enumerated() {
            var bars: [SVGElement] = [SVGElement("title", text: seriesData.name)]
            for (c, category) in categories.enumerated() {
                guard c < seriesData.values.count, let top = y.pixel(seriesData.values[c]) else { continue }
                let x = frame.plotLeft + Double(c) * slot + slot * 0.1 + Double(s) * barWidth
                bars.append(SVGElement("rect", [("class", "bar"), ("x", SVG.num(x)), ("y", SVG.num(min(top, zero))),
                                                ("width", SVG.num(barWidth)), ("height", SVG.num(abs(zero - top)))]
                                       + Palette.barAttributes(seriesData.colorIndex ?? s),
                                       [.element(SVGElement("title", text: "\(seriesData.name), \(category): \(AxisScale.format(seriesData.values[c], step: 0.01))"))]))
            }
            for (c, e) in (seriesData.errors ?? []).prefix(categories.count).enumerated() {
                guard let lo = y.pixel(e.low), let hi = y.pixel(e.high) else { continue }
                let mid = frame.plotLeft + Double(c) * slot + slot * 0.1 + (Double(s) + 0.5) * barWidth
                let cap = min(barWidth * 0.3, 5)
                bars.append(SVG.line(mid, lo, mid, hi, stroke: "#222222"))
                bars.append(SVG.line(mid - cap, lo, mid + cap, lo, stroke: "#222222"))
                bars.append(SVG.line(mid - cap, hi, mid + cap, hi, stroke: "#222222"))
            }
            parts.append(SVGElement("g", [("class", "series"), ("data-name", seriesData.name)], bars.map { .element($0) }))
        }
        parts.append(frame.legend(series.enumerated().map { ($0.element.name, .bar(series: $0.element.colorIndex ?? $0.offset)) }))
        return SVG.root(width: width, height: height, title: title, description: description, parts)
    }
}
