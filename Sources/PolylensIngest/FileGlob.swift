import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Shell-style path patterns: `*`, `?` and `[...]` within one path component (a leading dot must be
/// matched explicitly), `**` for any number of directories. Directory symlinks are not followed by
/// `**`, so a link cycle cannot loop.
public enum FileGlob {
    /// The regular files matching an absolute `pattern`, sorted by path.
    public static func files(matching pattern: String) -> [String] {
        let components = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var found = Set<String>()
        walk("", components[...], into: &found)
        return found.sorted()
    }

    private static func isPattern(_ component: String) -> Bool {
        component.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" })
    }

    private static func walk(_ directory: String, _ rest: ArraySlice<String>, into found: inout Set<String>) {
        guard let component = rest.first else { return }
        let tail = rest.dropFirst()
        if component == "**" {
            walk(directory, tail, into: &found)
            for name in entries(directory) where !name.hasPrefix(".") {
                let path = directory + "/" + name
                if kind(path, followLinks: false) == .directory { walk(path, rest, into: &found) }
            }
            return
        }
        let names = isPattern(component)
            ? entries(directory).filter { fnmatch(component, $0, FNM_PERIOD) == 0 }
            : [component]
        for name in names {
            let path = directory + "/" + name
            switch kind(path, followLinks: true) {
            case .file where tail.isEmpty: found.insert(path)
            case .directory where !tail.isEmpty: walk(path, tail, into: &found)
            default: break
            }
        }
    }

    private enum Kind { case file, directory, other }

    private static func kind(_ path: String, followLinks: Bool) -> Kind {
        var st = stat()
        let rc = followLinks ? stat(path, &st) : lstat(path, &st)
        guard rc == 0 else { return .other }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    private static func entries(_ directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "/" : directory)) ?? []
    }
}
