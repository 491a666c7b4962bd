import ArgumentParser
import PolylensModel

/// A list of layers as every command takes it: comma-separated numbers and ranges a-b (`0,4,8-12`).
enum LayerList {
    /// Ends beyond any model Polylens reads are refused before a range is expanded: `0-99999999999` would be
    /// an 800 GB array. Negative numbers and reversed ranges are refused with the option's name.
    static func parse(_ text: String, option: String) throws -> [Int] {
        try text.split(separator: ",").flatMap { part -> [Int] in
            let ends = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if let beyond = ends.compactMap({ $0 }).first(where: { $0 > LlamaConfig.Limits.layers }) {
                throw ValidationError("\(option): \(beyond) is beyond any model's layers (at most \(LlamaConfig.Limits.layers))")
            }
            switch ends.count {
            case 1: if let a = ends[0] { return [a] }
            case 2: if let a = ends[0], let b = ends[1], a <= b { return Array(a...b) }
            default: break
            }
            throw ValidationError("\(option): '\(String(part).printableExcerpt(limit: 40))' is not a layer or a range a-b")
        }
    }
}
