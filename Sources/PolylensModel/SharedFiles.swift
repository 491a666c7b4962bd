import Foundation

/// Locates `../shared` (beside the checkout) for tests, tools and the quickstart; `POLYLENS_SHARED` overrides it.
public enum SharedFiles {
    public static var root: URL {
        if let env = ProcessInfo.processInfo.environment["POLYLENS_SHARED"] { return URL(fileURLWithPath: env) }
        // Walk up from this source file to the checkout, then step beside it.
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir.deletingLastPathComponent().appendingPathComponent("shared")
            }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "../shared")
    }

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }
}
