"""Files for the tests: one real ingest with the built debug `polylens` on a small slice of the shared polycode
model (C headers, Python's standard library, five parallel snippets per language, few-shot prompts), then
`lape --save lape` and `ablate`, made once per session. Tests that need it skip when the binary is missing."""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tools" / "python"))
SHARED = pathlib.Path(os.environ.get("POLYLENS_SHARED", REPO.parent / "shared"))
BINARY = REPO / ".build" / "debug" / "polylens"
LANGUAGES = ["C", "C++", "Java", "Python"]
ITEMS = 5


def polylens(*args, check=True):
    """Runs the built CLI; returns the CompletedProcess (text)."""
    r = subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("polylens %s failed (%d): %s" % (" ".join(map(str, args)), r.returncode, r.stderr))
    return r


@pytest.fixture(scope="session")
def ingested(tmp_path_factory):
    if not BINARY.exists():
        pytest.skip("%s is missing: run `swift build` first" % BINARY)
    if not (SHARED / "models" / "polycode").exists():
        pytest.skip("%s is missing (POLYLENS_SHARED)" % (SHARED / "models" / "polycode"))
    d = tmp_path_factory.mktemp("ingest")
    parallel = d / "parallel"
    for language in LANGUAGES:
        src = SHARED / "data" / "paper" / "code_snippets" / language
        (parallel / language).mkdir(parents=True)
        for name in sorted(os.listdir(src))[:ITEMS]:
            shutil.copy(src / name, parallel / language / name)
    path = d / "t.polylens"
    polylens("ingest", path, "--model", SHARED / "models" / "polycode",
             "--lang", "C=/usr/include/*.h", "--lang", "Python=/usr/lib/python3.11/*.py",
             "--parallel", parallel, "--prompts", SHARED / "data" / "paper" / "prompts",
             "--lens-items", "2", "--lens-languages", "C,Python", "--held-out", "0.3",
             "--max-doc-tokens", "96", "--max-tokens-per-language", "3000", "--threads", "1",
             "--embed-unembedding", "--poolings", "weighted,mean,last", "--corpus-summaries", "--format", "json")
    polylens("lape", path, "--save", "lape", "--format", "json")
    polylens("ablate", path, "--set", "lape", "--model", SHARED / "models" / "polycode", "--eval-tokens", "200",
             "--seed", "0", "--format", "json")
    return path
