import Foundation
@testable import PolylensReport
import XCTest

/// The page a reader opens: the findings first, the details folded, at most eight 1280×800 screens tall.
/// The height is measured in headless Chromium where it is installed (CI installs Debian's `chromium`), and
/// otherwise estimated with `LayoutModel`, which the Chromium run keeps calibrated (within 15% of it).
final class ReportLayoutTests: XCTestCase {
    static let screen = 800.0
    static let budget = 8 * screen

    func testTheFindingsComeFirstAndTheDetailsAreFolded() throws {
        let page = try XMLTree.parse(HTMLReport.render(PaperShapedReport.data))
        let sections = page.elements("section")
        XCTAssertEqual(sections.map { $0.attributes["id"] }, ["summary", "lens", "mexa", "lape", "ablation", "provenance"])
        let summary = sections[0]
        let findings = summary.elements("ul", class: "findings").flatMap { $0.children }
        XCTAssertEqual(findings.map { $0.elements("a").first?.text }, ["Logit lens", "MEXA", "LAPE", "Ablation"])
        XCTAssertEqual(summary.elements("svg").map { $0.elements("title").first?.text },
                       ["Logit lens, Average over all 42 pairs", "Alignment by layer, per pivot language",
                        "Language-specific neurons per layer", "Own neurons zeroed against the random control"])
        XCTAssertEqual(summary.elements("svg")[0].elements("g", class: "band").count, 4, "the lens curves carry their intervals")
        XCTAssertTrue(summary.elements("details").isEmpty, "nothing of the findings is folded")
        for section in sections.dropFirst() {
            let details = section.elements("details")
            XCTAssertEqual(details.count, 1, section.attributes["id"] ?? "")
            XCTAssertNil(details.first?.attributes["open"], "folded by default")
            let outside = section.children.filter { $0.name != "details" }.flatMap { $0.elements("svg") + $0.elements("table") }
            XCTAssertTrue(outside.isEmpty, "\(section.attributes["id"] ?? ""): every chart and table is inside the details")
        }
        XCTAssertEqual(sections[1].elements("div", class: "pair").count, 1 + 42, "the average's top tokens, then every pair")
    }

    func testTheDefaultPageFitsEightScreens() throws {
        let html = HTMLReport.render(PaperShapedReport.data)
        let estimate = try LayoutModel.height(of: XMLTree.parse(html))
        guard let measured = try Self.chromiumHeight(html) else {
            print("ReportLayoutTests: no chromium on PATH; the layout model estimates \(Int(estimate)) px")
            XCTAssertLessThanOrEqual(estimate, Self.budget)
            return
        }
        print("ReportLayoutTests: Chromium measures \(Int(measured)) px at 1280 px; the layout model estimates \(Int(estimate)) px")
        XCTAssertLessThanOrEqual(measured, Self.budget, "the default page is at most 8 screens of 1280×800")
        XCTAssertEqual(estimate, measured, accuracy: 0.15 * measured, "the layout model is calibrated against Chromium")
        XCTAssertGreaterThan(measured, 2 * Self.screen, "the findings' four charts alone take more than two screens; a shorter page lost them")
    }

    /// The rendered height at 1280 px, from `tools/screenshot_report.sh`; nil without Chromium.
    static func chromiumHeight(_ html: String) throws -> Double? {
        guard ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
            .contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/chromium") }) == true else { return nil }
        var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            root = root.deletingLastPathComponent()
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-layout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        try Data(html.utf8).write(to: page)
        let p = Process()
        p.executableURL = root.appendingPathComponent("tools/screenshot_report.sh")
        // A window taller than the budget, so a page over budget shows as taller, not as cut.
        p.arguments = [page.path, dir.appendingPathComponent("report.png").path, "\(Int(budget + 2 * screen))"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw XMLTree.ParseError(description: "screenshot_report failed: \(stderr)") }
        guard let range = stdout.range(of: #"height (at least )?\d+ px"#, options: .regularExpression) else {
            throw XMLTree.ParseError(description: "screenshot_report printed no height: \(stdout)")
        }
        return Double(stdout[range].filter(\.isNumber))
    }
}

/// The page's height at 1280 px from its markup alone: the visible blocks stacked, figures two to a row in a grid,
/// text wrapped at the page's measure. Its constants are the style sheet's sizes, checked against Chromium by
/// `testTheDefaultPageFitsEightScreens` wherever Chromium is installed.
enum LayoutModel {
    /// The content column: 1180 px max-width less 2 × 24 px padding.
    static let measure = 1132.0
    static let lineHeight = 21.0
    /// Average advance of a 16 px system-ui character.
    static let characterWidth = 7.6

    static func height(of page: XMLTree) throws -> Double {
        guard let body = page.elements("body").first else { throw XMLTree.ParseError(description: "no body") }
        return body.children.map(block).reduce(0, +) + 48
    }

    static func lines(_ text: String, width: Double = measure, characterWidth: Double = characterWidth) -> Double {
        max(1, (Double(text.count) * characterWidth / width).rounded(.up))
    }

    /// A block's height; a closed `<details>` shows only its summary line.
    static func block(_ node: XMLTree) -> Double {
        switch node.name {
        case "header": return node.children.map(block).reduce(0, +) + 10
        case "h1": return 16 + 34
        case "p": return lines(node.allText) * lineHeight + 16
        case "nav": return 2 * lineHeight + 32
        case "section": return node.children.map(block).reduce(0, +)
        case "h2": return 24 + 30 + 13
        case "ul": return node.children.map { lines($0.allText, width: measure - 20) * lineHeight + 8 }.reduce(0, +) + 16
        case "details": return node.attributes["open"] == nil ? lineHeight + 8 + 16 : node.children.map(block).reduce(0, +)
        case "div" where (node.attributes["class"] ?? "").contains("grid"):
            let figures = node.children.map(block)
            return stride(from: 0, to: figures.count, by: 2).map { figures[$0..<min($0 + 2, figures.count)].max()! + 8 }.reduce(0, +)
        case "figure":
            // Two columns of (1132 − 8) / 2 px; a chart wider than its column is scaled down to fit (max-width: 100%).
            let column = (measure - 8) / 2 - 18
            let chart = node.elements("svg").first.map { svg -> Double in
                let w = Double(svg.attributes["width"] ?? "") ?? column, h = Double(svg.attributes["height"] ?? "") ?? 0
                return h * min(1, column / w)
            } ?? 0
            let caption = node.elements("figcaption").first.map { lines($0.allText, width: column, characterWidth: 6.6) * 20 + 6 } ?? 0
            return chart + caption + 16 + 18 + 2
        case "footer": return 48 + lines(node.allText) * 19
        default: return node.children.map(block).reduce(0, +)
        }
    }
}
