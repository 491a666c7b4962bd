import Foundation

/// The building blocks every section uses, so figures and tables look and behave the same everywhere.
extension HTMLWriter {
    /// A chart with its one-line caption and, when given, its numbers as a CSV download.
    mutating func figure(_ svg: SVGElement, caption: String, data: CSVTable? = nil) {
        element("figure", [("class", "chart")]) { figure in
            figure.markup(svg)
            figure.element("figcaption") { c in
                c.text(caption)
                if let data { c.text(" "); c.download(data) }
            }
        }
        newline()
    }

    mutating func download(_ table: CSVTable, label: String? = nil) {
        element("a", [("class", "csv"), ("download", table.fileName), ("href", table.dataURI)],
                text: label ?? "Download CSV (\(table.fileName))")
    }

    /// A table, its caption, and a link that downloads the full table as CSV (or `download`, the
    /// same data in a longer, machine-friendly layout); long tables show their first `maxRows` rows.
    mutating func table(_ table: CSVTable, caption: String, maxRows: Int = 60, download: CSVTable? = nil) {
        element("figure", [("class", "table")]) { figure in
            figure.element("table") { t in
                t.element("thead") { head in
                    head.element("tr") { row in for h in table.header { row.element("th", text: h) } }
                }
                t.element("tbody") { body in
                    for cells in table.rows.prefix(maxRows) {
                        body.element("tr") { row in
                            for cell in cells {
                                row.element("td", cell.isNumeric ? [("class", "num")] : [], text: cell.display)
                            }
                        }
                    }
                }
            }
            if table.rows.count > maxRows {
                figure.element("p", [("class", "truncated")],
                               text: "Showing the first \(maxRows) of \(table.rows.count) rows; the CSV has all of them.")
            }
            figure.element("figcaption") { c in
                c.text(caption + " ")
                c.download(download ?? table)
            }
        }
        newline()
    }

    mutating func noData(_ message: String) {
        element("p", [("class", "no-data")], text: "No data: " + message)
    }

    mutating func paragraph(_ text: String, class cls: String? = nil) {
        element("p", cls.map { [("class", $0)] } ?? [], text: text)
    }
}
