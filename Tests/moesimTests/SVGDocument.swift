import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An SVG file parsed with XMLParser (so a test fails if the figure is not well-formed XML),
/// flattened into its elements with what the plot tests look at.
struct SVGDocument {
    struct Element {
        let name: String
        let attributes: [String: String]
        /// `data-series` of the enclosing `<g class="series">`, if any.
        let series: String?
        /// Text directly inside the element (for `<text>`).
        var text: String = ""

        var cssClass: String { attributes["class"] ?? "" }
        func number(_ attribute: String) -> Double? { attributes[attribute].flatMap(Double.init) }
    }

    /// A rectangle in pixels.
    struct Frame {
        let x, y, width, height: Double
        func contains(x px: Double, y py: Double) -> Bool {
            px >= x - 1e-9 && px <= x + width + 1e-9 && py >= y - 1e-9 && py <= y + height + 1e-9
        }
    }

    private(set) var elements: [Element] = []

    /// Parses `data`; throws with the parser's line and reason if it is not well-formed XML.
    init(data: Data) throws {
        let delegate = Collector()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse() else {
            throw NSError(domain: "SVGDocument", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "not well-formed XML at line \(parser.lineNumber): \(parser.parserError.map { "\($0)" } ?? "?")"])
        }
        elements = delegate.elements
    }

    init(path: String) throws { try self.init(data: try Data(contentsOf: URL(fileURLWithPath: path))) }

    func all(_ name: String, class cssClass: String) -> [Element] {
        elements.filter { $0.name == name && $0.cssClass.split(separator: " ").contains(Substring(cssClass)) }
    }

    /// The `data-series` names of the `<g class="series">` groups, in document order.
    var seriesNames: [String] { all("g", class: "series").compactMap { $0.attributes["data-series"] } }

    /// The plot rectangle.
    var plotArea: Frame? {
        guard let rect = all("rect", class: "plot-area").first, let x = rect.number("x"), let y = rect.number("y"),
              let width = rect.number("width"), let height = rect.number("height") else { return nil }
        return Frame(x: x, y: y, width: width, height: height)
    }

    /// The centres of the line-plot markers: a marker's path starts with `M x y`.
    var pointCentres: [(series: String?, x: Double, y: Double)] {
        all("path", class: "point").compactMap { element in
            let words = (element.attributes["d"] ?? "").split(separator: " ")
            guard words.count >= 3, words[0] == "M", let x = Double(words[1]), let y = Double(words[2]) else { return nil }
            return (element.series, x, y)
        }
    }

    /// The bars as frames with their series.
    var bars: [(series: String?, frame: Frame)] {
        all("rect", class: "bar").compactMap { bar in
            guard let x = bar.number("x"), let y = bar.number("y"), let width = bar.number("width"),
                  let height = bar.number("height") else { return nil }
            return (bar.series, Frame(x: x, y: y, width: width, height: height))
        }
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        private var open: [(index: Int, series: String?)] = []

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes: [String: String] = [:]) {
            var series = open.last?.series
            if elementName == "g", attributes["class"] == "series" { series = attributes["data-series"] }
            elements.append(Element(name: elementName, attributes: attributes, series: series))
            open.append((elements.count - 1, series))
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            open.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let index = open.last?.index { elements[index].text += string }
        }
    }
}
