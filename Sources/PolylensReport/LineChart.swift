import Foundation

/// Several named series against a numeric x (e.g. probability against layer), optionally with a log y axis.
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        /// Points with a non-finite y (or y ≤ 0 on a log axis) are gaps: the line breaks there.
        public var points: [(x: Double, y: Double)]
        /// An interval at each point (same order), drawn as a light band behind the line; nil: none.
        public var band: [(low: Double, high: Double)]?
        /// The palette slot (`Palette.color`); nil: the series' position. Fixed slots keep a series' colour the
        /// same in every chart that shows it, whichever other series are shown beside it.
        public var colorIndex: Int?
        public init(name: String, points: [(x: Double, y: Double)], band: [(low: Double, high: Double)]? = nil, colorIndex: Int? = nil) {
            self.name = name; self.points = points; self.band = band; self.colorIndex = colorIndex
        }
        /// Values at x = 0, 1, 2, … (per-layer curves).
        public init(name: String, values: [Double]) {
            self.init(name: name, points: values.enumerated().map { (Double($0.offset), $0.element) })
        }
    }

    public var title: String
    /// The accessible description (`<desc>`): what the chart shows, in one sentence.
    public var description: String
    public var xLabel: AxisLabel
    public var yLabel: AxisLabel
    public var series: [Series]
    public var logY: Bool
    /// A fixed y range (e.g. 0...1 for probabilities); nil fits the data. Ignored on a log axis.
    public var yRange: ClosedRange<Double>?
    /// Start a fitted linear y axis at zero, so small values are not mistaken for none.
    public var yIncludesZero: Bool
    public var width: Double
    public var height: Double
    /// Names for x ticks at these integer values instead of the number (layer 0 → "embeddings").
    public var xTickNames: [Int: String] = [:]

    public init(title: String, description: String, xLabel: AxisLabel, yLabel: AxisLabel, series: [Series],
                logY: Bool = false, yRange: ClosedRange<Double>? = nil, yIncludesZero: Bool = false,
                width: Double = 720, height: Double = 380) {
        self.title = title; self.description = description; self.xLabel = xLabel; self.yLabel = yLabel
        self.series = series; self.logY = logY; self.yRange = yRange
        self.yIncludesZero = yIncludesZero; self.width = width; self.height = height
    }

    public var svg: SVGElement {
        let frame = ChartFrame(width: width, height: height, legendNames: series.map(\.name))
        let bandPoints = series.flatMap { s in zip(s.points, s.band ?? []).flatMap { [($0.x, $1.low), ($0.x, $1.high)] } }
        let drawable = (series.flatMap { $0.points } + bandPoints.map { (x: $0.0, y: $0.1) }).filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
        var parts = [frame.title(title)]
        // x spans exactly the data (layers 0…L), without widening to a round number.
        let xs = series.flatMap { $0.points }.filter { $0.x.isFinite && $0.y.isFinite }.map(\.x)
        let xRange = xs.min().flatMap { lo in xs.max().flatMap { hi in hi > lo ? lo...hi : nil } }
        let xScale = AxisScale.linear(values: xs, fixed: xRange, pixels: (frame.plotLeft, frame.plotRight))
        let yPixels = (frame.plotBottom, frame.plotTop)
        let yScale = logY ? AxisScale.log10(values: drawable.map(\.y), pixels: yPixels)
                          : AxisScale.linear(values: drawable.map(\.y), fixed: yRange, includeZero: yIncludesZero,
                                            pixels: yPixels)
        let integerX = xs.allSatisfy { $0 == $0.rounded() }
        parts.append(frame.axes(xTicks: xScale.ticks(count: 8, integers: integerX).compactMap { t in
                                    xScale.pixel(t.value).map { ($0, xTickNames[Int(exactly: t.value) ?? Int.min] ?? t.label) }
                                },
                                yTicks: yScale.ticks().compactMap { t in yScale.pixel(t.value).map { ($0, t.label) } },
                                xLabel: xLabel, yLabel: yLabel))
        if drawable.isEmpty { parts.append(frame.noData()) }
        for (index, s) in series.enumerated() where s.band != nil {
            parts.append(bandGroup(s, index: s.colorIndex ?? index, x: xScale, y: yScale))
        }
        for (index, s) in series.enumerated() {
            parts.append(seriesGroup(s, index: s.colorIndex ?? index, x: xScale, y: yScale))
        }
        parts.append(frame.legend(series.enumerated().map {
            let slot = $0.element.colorIndex ?? $0.offset
            return ($0.element.name, .line(color: Palette.color(slot), dash: Palette.dash(slot)))
        }))
        return SVG.root(width: width, height: height, title: title, description: description, parts)
    }

    /// The interval as a translucent polygon (upper edge left to right, lower edge back), broken where unmeasured.
    private func bandGroup(_ s: Series, index: Int, x: AxisScale, y: AxisScale) -> SVGElement {
        var runs: [[(Double, Double, Double)]] = [[]]
        for (p, b) in zip(s.points, s.band ?? []) {
            if let px = x.pixel(p.x), let lo = y.pixel(b.low), let hi = y.pixel(b.high), !(logY && b.low <= 0) {
                runs[runs.count - 1].append((px, lo, hi))
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        let polygons = runs.filter { $0.count > 1 }.map { run in
            SVGElement("polygon", [("points", (run.map { "\(SVG.num($0.0)),\(SVG.num($0.2))" } + run.reversed().map { "\(SVG.num($0.0)),\(SVG.num($0.1))" }).joined(separator: " ")),
                                   ("fill", Palette.color(index)), ("fill-opacity", "0.18"), ("stroke", "none")])
        }
        return SVG.group([("class", "band"), ("data-name", s.name)], polygons)
    }

    /// One `<g class="series">` per series, always present (even when all its points are gaps)
    /// so that the legend and the drawn series correspond one to one.
    private func seriesGroup(_ s: Series, index: Int, x: AxisScale, y: AxisScale) -> SVGElement {
        let color = Palette.color(index)
        var runs: [[(Double, Double)]] = [[]]
        for p in s.points {
            if let px = x.pixel(p.x), let py = y.pixel(p.y), !(logY && p.y <= 0) {
                runs[runs.count - 1].append((px, py))
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        var parts: [SVGElement] = []
        for run in runs where !run.isEmpty {
            if run.count > 1 { parts.append(SVG.polyline(run, stroke: color, width: 2, dash: Palette.dash(index))) }
            if run.count == 1 || s.points.count <= 60 {
                parts += run.map { SVGElement("circle", [("cx", SVG.num($0.0)), ("cy", SVG.num($0.1)), ("r", "2.5"), ("fill", color)]) }
            }
        }
        var group = SVG.group([("class", "series"), ("data-name", s.name)], parts)
        group.children.insert(.element(SVGElement("title", text: s.name)), at: 0)
        return group
    }
}
