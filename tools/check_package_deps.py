#!/usr/bin/env python3
"""Checks that Package.swift declares exactly the modules each target imports (issue 11).

SwiftPM lets a target import a module it reaches only through another target's dependencies, so an
undeclared import builds today and breaks when that other target drops the dependency; a declared module
never imported is dead weight in the graph. Prints one line per mismatch and exits 1; silent and 0 when
Package.swift and the sources agree. System modules (Foundation, XCTest, Glibc, ...) are not targets.
Usage: tools/check_package_deps.py [PACKAGE_ROOT]
"""
import pathlib
import re
import sys

SYSTEM = {"Foundation", "FoundationXML", "FoundationNetworking", "XCTest", "Glibc", "Darwin", "Dispatch",
          "PackagePlugin", "Swift", "_Concurrency", "os", "Observation"}


def targets(package: str):
    """(kind, name, declared dependencies) for every target in Package.swift."""
    out = []
    for m in re.finditer(r'\.(target|testTarget|executableTarget)\(\s*name:\s*"([^"]+)"', package):
        start, depth, i = m.end(), 1, m.end()
        while depth:  # the call's arguments up to its closing parenthesis
            depth += {"(": 1, ")": -1}.get(package[i], 0)
            i += 1
        args = package[start:i]
        deps = set()
        d = re.search(r'dependencies:\s*\[', args)
        if d:
            j, depth = d.end(), 1
            while depth:
                depth += {"[": 1, "]": -1}.get(args[j], 0)
                j += 1
            block = args[d.end():j - 1]
            deps |= set(re.findall(r'\.product\(\s*name:\s*"([^"]+)"', block))
            deps |= set(re.findall(r'(?<![:\w])\s*"([^"]+)"', re.sub(r'\.product\([^)]*\)', "", block)))
        out.append((m.group(1), m.group(2), deps))
    return out


def imports(folder: pathlib.Path):
    found = set()
    for f in folder.rglob("*.swift"):
        if "Fixtures" in f.parts:
            continue
        for line in f.read_text(encoding="utf-8").splitlines():
            # Imports head the file: stop at the first declaration (so SQL or Python inside strings is not read).
            if line.strip() and not re.match(r'\s*(//|/\*|\*|#if|#else|#elseif|#endif|@testable|@_exported|@preconcurrency|import\b)', line):
                break
            m = re.match(r'\s*(?:@testable\s+|@_exported\s+|@preconcurrency\s+)*import\s+(?:(?:struct|class|enum|func|protocol|typealias|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)', line)
            if m:
                found.add(m.group(1))
    return found - SYSTEM


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    problems = []
    all_targets = targets((root / "Package.swift").read_text(encoding="utf-8"))
    # A test target depends on an executable target to have it built and run it as a process, not to import it.
    executables = {name for kind, name, _ in all_targets if kind == "executableTarget"}
    for kind, name, declared in all_targets:
        folder = root / ("Tests" if kind == "testTarget" else "Sources") / name
        if not folder.is_dir():
            problems.append(f"Package.swift: target {name} has no folder {folder.relative_to(root)}")
            continue
        used = imports(folder)
        for module in sorted(used - declared):
            problems.append(f"Package.swift: {name} imports {module} without declaring it")
        for module in sorted(declared - used - executables):
            problems.append(f"Package.swift: {name} declares {module} but never imports it")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
