"""What the tests of this package and of the PyTorch worker (tools/worker) share: where the checkout, ../shared and
the built `polylens` are, running that binary, and a small directory of the paper's parallel snippets. The package
itself never imports it."""
import os
import pathlib
import shutil
import subprocess

REPO = pathlib.Path(__file__).resolve().parents[3]
SHARED = pathlib.Path(os.environ.get("POLYLENS_SHARED", REPO.parent / "shared"))
BINARY = pathlib.Path(os.environ.get("POLYLENS_BINARY", REPO / ".build" / "debug" / "polylens"))
MODEL = SHARED / "models" / "polycode"


def polylens(*args, check=True):
    """Runs the built CLI; returns the CompletedProcess (text). With `check`, a non-zero exit fails the test."""
    r = subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("polylens %s failed (%d): %s" % (" ".join(map(str, args)), r.returncode, r.stderr))
    return r


def require():
    """Skips the calling test when the built binary or the shared model is missing."""
    import pytest
    if not BINARY.exists():
        pytest.skip("%s is missing: run `swift build` first" % BINARY)
    if not MODEL.exists():
        pytest.skip("%s is missing (POLYLENS_SHARED)" % MODEL)


def parallel_snippets(directory, languages, items):
    """`directory`/LANGUAGE/ holding the first `items` of the paper's parallel snippets of each language."""
    for language in languages:
        src = SHARED / "data" / "paper" / "code_snippets" / language
        (directory / language).mkdir(parents=True)
        for name in sorted(os.listdir(src))[:items]:
            shutil.copy(src / name, directory / language / name)
    return directory
