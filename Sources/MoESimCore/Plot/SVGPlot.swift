import Foundation

/// Renders `PlotData` as a self-contained SVG figure: title, framed plot area with light
/// gridlines, axes with nice ticks and unit labels, one `<g class="series">` per series
/// (Okabe–Ito colours, which colour-blind readers can tell apart, and a distinct marker
/// shape per series) and a legend titled with the `by` column. Coordinates are written with
/// two decimals, so the same data give a byte-identical file.
///
/// For tests and tools the figure carries its geometry: the plot rectangle is
/// `<rect class="plot-area">` with the axis ranges in `data-x-min`, `data-x-max` (line plots),
/// `data-y-min` and `data-y-max`; every marker is a `<path class="point">` whose `d` starts
/// at the point's centre (`M x y`); every bar is a `<rect class="bar">`.
public enum SVGPlot {
    /// Okabe & Ito's colour-blind-safe palette, yellow last (faint on white).
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    /// Relative path commands of the marker shapes, drawn from a point's centre.
    static let markers = [
        "m -4 0 a 4 4 0 1 0 8 0 a 4 4 0 1 0 -8 0 z",  // circle
        "m -3.5 -3.5 h 7 v 7 h -7 z",  // square
        "m 0 -5 l 4.5 8 h -9 z",  // triangle
        "m 0 -5 l 5 5 l -5 5 l -5 -5 z",  // diamond
        "m 0 5 l 4.5 -8 h -9 z",  // triangle pointing down
    ]

    /// Width of one character of 12-px text, an estimate for layout (no font metrics here).
    static let characterWidth = 7.0
    static let plotWidth = 560.0
    static let plotHeight = 340.0
    /// Category labels longer than this are cut with "…".
    static let longestCategoryLabel = 28

    /// The SVG text of `data`.
    /// - Complexity: O(points + ticks).
    public static func render(_ data: PlotData) -> String {
        let request = data.request
        let isBar = request.kind == .bar
        let yAxis = PlotAxis(label: request.yAxisLabel, min: data.yRange.lowerBound, max: data.yRange.upperBound,
                             logarithmic: request.logarithmicY, includeZero: isBar && !request.logarithmicY)
        let xAxis = isBar ? nil : PlotAxis(label: request.xAxisLabel, min: data.xRange.lowerBound,
                                           max: data.xRange.upperBound, logarithmic: request.logarithmicX, includeZero: false)

        // Layout: margins grow with the longest tick label, category label and legend entry.
        let yTickLabels = yAxis.ticks.values.map(yAxis.tickLabel)
        let categoryLabels = data.categories.map { $0.isEmpty ? "(empty)" : $0.count > longestCategoryLabel
            ? String($0.prefix(longestCategoryLabel - 1)) + "…" : $0 }
        let left = 42 + characterWidth * Double(yTickLabels.map(\.count).max() ?? 1)
        let subtitle = request.filters.map { "\($0.column) = \($0.value)" }.joined(separator: ", ")
        let top = subtitle.isEmpty ? 48.0 : 64.0
        let band = plotWidth / Double(max(1, data.categories.count))
        let longestCategory = Double(categoryLabels.map(\.count).max() ?? 0) * characterWidth
        let rotateCategories = isBar && longestCategory > band - 6
        let bottom = rotateCategories ? 50 + longestCategory * 0.56 : 58
        let showLegend = request.byColumn != nil
        let legendCharacters = ([request.byColumn ?? ""] + data.series.map(\.name)).map(\.count).max() ?? 0
        let legendWidth = showLegend ? 56 + characterWidth * Double(legendCharacters) : 0
        let width = (left + plotWidth + 24 + legendWidth).rounded(.up)
        // A long legend (20 px per series) stretches the figure rather than being cut off.
        let height = max(top + plotHeight + bottom, showLegend ? top + 40 + 20 * Double(data.series.count) : 0).rounded(.up)
        let plotBottom = top + plotHeight, plotRight = left + plotWidth
        // Line plots keep markers off the frame; bars stand on it.
        let inset = isBar ? 0.0 : 12.0
        func px(_ x: Double) -> Double { left + inset + xAxis!.ticks.fraction(of: x) * (plotWidth - 2 * inset) }
        func py(_ y: Double) -> Double { plotBottom - inset - yAxis.ticks.fraction(of: y) * (plotHeight - 2 * inset) }

        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" \
        font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#222222">
        <title>\(escape(request.titleText))</title>
        <rect width="\(f(width))" height="\(f(height))" fill="#ffffff"/>
        <text class="title" x="\(f(left + plotWidth / 2))" y="28" text-anchor="middle" font-size="16" font-weight="bold">\
        \(escape(request.titleText))</text>

        """
        if !subtitle.isEmpty {
            svg += "<text class=\"subtitle\" x=\"\(f(left + plotWidth / 2))\" y=\"48\" text-anchor=\"middle\" fill=\"#555555\">"
                + "\(escape(subtitle))</text>\n"
        }

        // Gridlines, then the frame with the axis ranges.
        svg += "<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n"
        for y in yAxis.ticks.values { svg += line(left, py(y), plotRight, py(y)) }
        for x in xAxis?.ticks.values ?? [] { svg += line(px(x), top, px(x), plotBottom) }
        svg += "</g>\n"
        var ranges = "data-y-min=\"\(yAxis.ticks.lower)\" data-y-max=\"\(yAxis.ticks.upper)\""
        if let xAxis { ranges = "data-x-min=\"\(xAxis.ticks.lower)\" data-x-max=\"\(xAxis.ticks.upper)\" " + ranges }
        svg += "<rect class=\"plot-area\" x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" "
            + "fill=\"none\" stroke=\"#bbbbbb\" \(ranges)/>\n"

        // Axes: tick marks, tick labels, titles.
        svg += "<g class=\"axis y-axis\" stroke=\"#333333\">\n" + line(left, top, left, plotBottom)
        for (y, label) in zip(yAxis.ticks.values, yTickLabels) {
            svg += line(left - 5, py(y), left, py(y))
                + text(label, x: left - 8, y: py(y) + 4, anchor: "end", cssClass: "tick-label")
        }
        svg += "<text class=\"axis-label\" transform=\"translate(16 \(f(top + plotHeight / 2))) rotate(-90)\" "
            + "text-anchor=\"middle\" stroke=\"none\" font-size=\"13\">\(escape(yAxis.label.text))</text>\n</g>\n"
        svg += "<g class=\"axis x-axis\" stroke=\"#333333\">\n" + line(left, plotBottom, plotRight, plotBottom)
        if let xAxis {
            for x in xAxis.ticks.values {
                svg += line(px(x), plotBottom, px(x), plotBottom + 5)
                    + text(xAxis.tickLabel(x), x: px(x), y: plotBottom + 19, anchor: "middle", cssClass: "tick-label")
            }
        } else {
            for (index, label) in categoryLabels.enumerated() {
                let x = left + band * (Double(index) + 0.5)
                svg += line(x, plotBottom, x, plotBottom + 5)
                svg += rotateCategories
                    ? "<text class=\"tick-label\" transform=\"translate(\(f(x + 4)) \(f(plotBottom + 14))) rotate(-40)\" "
                        + "text-anchor=\"end\" stroke=\"none\">\(escape(label))</text>\n"
                    : text(label, x: x, y: plotBottom + 19, anchor: "middle", cssClass: "tick-label")
            }
        }
        let xTitle = xAxis?.label.text ?? request.xAxisLabel.text
        svg += text(xTitle, x: left + plotWidth / 2, y: height - 12, anchor: "middle", cssClass: "axis-label", size: 13)
            + "</g>\n"

        // Series.
        let barWidth = band * 0.8 / Double(max(1, data.series.count))
        let valueLabels = data.series.map { $0.points.map { yAxis.valueLabel($0.y) } }
        let showValues = isBar && Double(valueLabels.joined().map(\.count).max() ?? 0) * 6 <= barWidth + 2
        for (index, series) in data.series.enumerated() {
            let color = palette[index % palette.count]
            svg += "<g class=\"series\" data-series=\"\(escape(series.name))\" data-points=\"\(series.points.count)\" "
                + "fill=\"\(color)\" stroke=\"\(color)\">\n"
            if !isBar {  // the line first, so that the markers sit on top of it
                let points = series.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                svg += "<polyline points=\"\(points)\" fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\"/>\n"
            }
            for (point, valueLabel) in zip(series.points, valueLabels[index]) {
                let xText = isBar ? data.categories[Int(point.x)] : xAxis!.valueLabel(point.x)
                let tooltip = "\(series.name): \(request.xColumn) = \(xText), \(request.yColumn) = \(valueLabel)"
                    + (point.rowCount > 1 ? " (mean of \(point.rowCount) rows)" : "")
                if isBar {
                    let baseline = request.logarithmicY ? plotBottom : py(0)
                    let x = left + band * (point.x + 0.1) + barWidth * Double(index)
                    let y = py(point.y)
                    svg += "<rect class=\"bar\" x=\"\(f(x))\" y=\"\(f(min(y, baseline)))\" width=\"\(f(max(1, barWidth - 1)))\" "
                        + "height=\"\(f(abs(baseline - y)))\" stroke=\"none\"><title>\(escape(tooltip))</title></rect>\n"
                    if showValues {
                        svg += text(valueLabel, x: x + barWidth / 2, y: point.y < 0 ? y + 13 : y - 4, anchor: "middle",
                                    cssClass: "value-label", size: 10)
                    }
                } else {
                    svg += "<path class=\"point\" d=\"\(marker(index, x: px(point.x), y: py(point.y)))\" stroke=\"#ffffff\" "
                        + "stroke-width=\"1\"><title>\(escape(tooltip))</title></path>\n"
                }
            }
            svg += "</g>\n"
        }

        if showLegend, let by = request.byColumn {
            let x = plotRight + 24
            svg += "<g class=\"legend\">\n" + text(by, x: x, y: top + 12, anchor: "start", cssClass: "legend-title", bold: true)
            for (index, series) in data.series.enumerated() {
                let y = top + 32 + 20 * Double(index)
                let color = palette[index % palette.count]
                svg += isBar
                    ? "<rect x=\"\(f(x))\" y=\"\(f(y - 6))\" width=\"24\" height=\"12\" fill=\"\(color)\"/>\n"
                    : "<line x1=\"\(f(x))\" y1=\"\(f(y))\" x2=\"\(f(x + 24))\" y2=\"\(f(y))\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
                        + "<path d=\"\(marker(index, x: x + 12, y: y))\" fill=\"\(color)\" stroke=\"#ffffff\"/>\n"
                svg += text(series.name.isEmpty ? "(empty)" : series.name, x: x + 32, y: y + 4, anchor: "start",
                            cssClass: "legend-label")
            }
            svg += "</g>\n"
        }
        return svg + "</svg>\n"
    }

    /// The path of series `index`'s marker centred on (x, y); the path starts at the centre.
    static func marker(_ index: Int, x: Double, y: Double) -> String {
        "M \(f(x)) \(f(y)) " + markers[index % markers.count]
    }

    private static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\"/>\n"
    }

    private static func text(_ content: String, x: Double, y: Double, anchor: String, cssClass: String,
                             size: Int? = nil, bold: Bool = false) -> String {
        "<text class=\"\(cssClass)\" x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" stroke=\"none\""
            + (size.map { " font-size=\"\($0)\"" } ?? "") + (bold ? " font-weight=\"bold\"" : "")
            + ">\(escape(content))</text>\n"
    }

    /// A coordinate with two decimals.
    private static func f(_ value: Double) -> String { String(format: "%.2f", value) }

    /// `text` safe inside XML text and double-quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default:
                // Control characters are not allowed in XML 1.0 text.
                out.append(character.asciiValue.map { $0 < 0x20 } == true ? " " : character)
            }
        }
        return out
    }
}
