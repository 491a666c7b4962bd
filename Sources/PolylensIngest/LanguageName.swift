/// Language names as the paper's data writes them. Command-line names are matched case-insensitively
/// (`python` → `Python`), so that results from different runs use one spelling.
public enum LanguageName {
    /// The paper's seven parallel languages, English (the comments), and the other languages the
    /// paper's corpora and keyword lists name.
    public static let known: [String] = [
        "C", "C#", "C++", "Java", "Javascript", "PHP", "Python", "English",
        "Rust", "HTML", "Go", "Ruby", "Dart", "Elixir", "Erlang", "Fortran", "Kotlin", "Lua", "MATLAB",
        "Objective-C", "R", "Scala", "Swift", "TypeScript", "Visual Basic",
    ]

    /// The seven languages of the parallel snippets, the default for the logit-lens prompts.
    public static let parallel: [String] = ["C", "C#", "C++", "Java", "Javascript", "PHP", "Python"]

    /// The canonical spelling of `name`, or an error that lists the known names.
    public static func canonical(_ name: String, in context: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { throw IngestError("\(context): empty language name") }
        if let hit = known.first(where: { $0.caseInsensitiveCompare(trimmed) == .orderedSame }) { return hit }
        throw IngestError("\(context): unknown language '\(trimmed)' (known: \(known.joined(separator: ", ")))")
    }
}
