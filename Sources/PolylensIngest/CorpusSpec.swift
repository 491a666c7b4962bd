import Foundation

/// One corpus input as given on the command line.
public enum CorpusSpec: Sendable, Equatable, CustomStringConvertible {
    /// `--lang NAME=GLOB`: the files matching GLOB (`**` crosses directories), in sorted path order.
    case files(language: String, pattern: String)
    /// `--jsonl NAME=FILE[:field]`: one document per line; the field defaults to `text`, then `content`.
    case jsonl(language: String, path: String, field: String?)
    /// `--parallel DIR`: `DIR/<Language>/<id>.json` with field `snippet`; the C file's `comment` is English.
    case parallel(directory: String)

    /// Parses `NAME=GLOB`; a relative pattern is taken from the current directory.
    public static func files(_ argument: String) throws -> CorpusSpec {
        let (language, value) = try split(argument, option: "--lang", valueName: "GLOB")
        return .files(language: language, pattern: absolute(value))
    }

    /// Parses `NAME=FILE[:field]`. A `:` belongs to the file name when the whole value names a file.
    public static func jsonl(_ argument: String) throws -> CorpusSpec {
        let (language, value) = try split(argument, option: "--jsonl", valueName: "FILE")
        if FileManager.default.fileExists(atPath: value) { return .jsonl(language: language, path: absolute(value), field: nil) }
        guard let colon = value.lastIndex(of: ":") else { return .jsonl(language: language, path: absolute(value), field: nil) }
        let field = String(value[value.index(after: colon)...])
        let path = String(value[..<colon])
        if field.isEmpty || path.isEmpty { throw IngestError("--jsonl \(argument): expected NAME=FILE[:field]") }
        return .jsonl(language: language, path: absolute(path), field: field)
    }

    public static func parallel(_ directory: String) -> CorpusSpec { .parallel(directory: absolute(directory)) }

    public var description: String {
        switch self {
        case .files(let language, let pattern): return "--lang \(language)=\(pattern)"
        case .jsonl(let language, let path, let field): return "--jsonl \(language)=\(path)" + (field.map { ":\($0)" } ?? "")
        case .parallel(let directory): return "--parallel \(directory)"
        }
    }

    private static func split(_ argument: String, option: String, valueName: String) throws -> (String, String) {
        guard let eq = argument.firstIndex(of: "=") else {
            throw IngestError("\(option) \(argument): expected NAME=\(valueName)")
        }
        let language = try LanguageName.canonical(String(argument[..<eq]), in: "\(option) \(argument)")
        let value = String(argument[argument.index(after: eq)...])
        if value.isEmpty { throw IngestError("\(option) \(argument): empty \(valueName)") }
        return (language, value)
    }

    private static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }
}
