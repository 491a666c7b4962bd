"""Files for the tests: one real ingest with the built debug `polylens` on a small slice of the shared polycode
model (C headers, Python's standard library, five parallel snippets per language, few-shot prompts), then
`lape --save lape` and `ablate`, made once per session. Tests that need it skip when the binary is missing."""
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from polylens.testing import MODEL, REPO, SHARED, parallel_snippets, polylens, require  # noqa: E402,F401

LANGUAGES = ["C", "C++", "Java", "Python"]
ITEMS = 5


@pytest.fixture(scope="session")
def ingested(tmp_path_factory):
    require()
    d = tmp_path_factory.mktemp("ingest")
    parallel = parallel_snippets(d / "parallel", LANGUAGES, ITEMS)
    path = d / "t.polylens"
    polylens("ingest", path, "--model", MODEL,
             "--lang", "C=/usr/include/*.h", "--lang", "Python=/usr/lib/python3.11/*.py",
             "--parallel", parallel, "--prompts", SHARED / "data" / "paper" / "prompts",
             "--lens-items", "2", "--lens-languages", "C,Python", "--held-out", "0.3",
             "--max-doc-tokens", "96", "--max-tokens-per-language", "3000", "--threads", "1",
             "--embed-unembedding", "--poolings", "weighted,mean,last", "--corpus-summaries", "--format", "json")
    polylens("lape", path, "--save", "lape", "--format", "json")
    polylens("ablate", path, "--set", "lape", "--model", MODEL, "--eval-tokens", "200",
             "--seed", "0", "--format", "json")
    return path
