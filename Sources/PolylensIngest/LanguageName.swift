/// Language names as the paper's data writes them. A known name is matched case-insensitively and
/// takes its canonical spelling (`python` → `Python`), so that runs and files agree on one spelling;
/// any other name (Perl, Shell, SQL, Haskell, …) is a language of its own, kept exactly as given.
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

    /// The canonical spelling of a known `name`, else `name` itself (trimmed). Refused: an empty name, and
    /// commas or control characters, which would break `--languages A,B` lists and one-line output.
    public static func canonical(_ name: String, in context: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { throw IngestError("\(context): empty language name") }
        if let hit = known.first(where: { $0.caseInsensitiveCompare(trimmed) == .orderedSame }) { return hit }
        if let bad = trimmed.unicodeScalars.first(where: { $0 == "," || $0.properties.generalCategory == .control }) {
            throw IngestError("\(context): language name \(trimmed.debugDescription) contains \(bad == "," ? "a comma" : "a control character")")
        }
        return trimmed
    }

    /// Whether `name` is one of the known languages (with their keyword lists and parallel data).
    public static func isKnown(_ name: String) -> Bool { known.contains(name) }
}
