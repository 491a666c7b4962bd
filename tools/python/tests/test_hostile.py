"""Issue 14, item 3, in the Python package: a file whose schema is not exactly the one its version defines is
refused by `polylens.open` and `polylens.connect` before anything is read, and connections are hardened as in
Swift (trusted_schema off, no ATTACH, no extension loading)."""
import shutil
import sqlite3

import pytest

import polylens
from polylens import schema
from polylens.file import SCHEMA_VERSION


def planted(ingested, tmp_path, sql):
    path = tmp_path / "hostile.polylens"
    shutil.copy(ingested, path)
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(sql)
    db.close()
    return path


def test_pristine_file_matches_the_schema_its_migrations_make(ingested):
    db = sqlite3.connect("file:%s?mode=ro" % ingested, uri=True)
    assert schema.problems(db) == []
    db.close()


@pytest.mark.parametrize("sql, expected", [
    ("ALTER TABLE runs RENAME TO runs_data; CREATE VIEW runs AS WITH RECURSIVE f(i) AS (SELECT 1 UNION ALL "
     "SELECT i + 1 FROM f) SELECT runs_data.* FROM runs_data, f;",
     "view runs stands where schema version %d has a table" % SCHEMA_VERSION),
    ("CREATE TRIGGER wipe AFTER INSERT ON neuron_sets BEGIN DELETE FROM neuron_stats; END;",
     "trigger wipe on neuron_sets is not part of schema version %d" % SCHEMA_VERSION),
    ("ALTER TABLE lens_prompts RENAME TO prompts;", "table prompts is not part of schema version %d" % SCHEMA_VERSION),
    ("CREATE INDEX sneaky ON documents(language);", "index sneaky on documents is not part of schema version %d" % SCHEMA_VERSION),
])
def test_planted_schema_is_refused(ingested, tmp_path, sql, expected):
    path = planted(ingested, tmp_path, sql)
    before = path.read_bytes()
    for opener in (lambda: polylens.open(path), lambda: polylens.open(path, write=True), lambda: polylens.connect(path)):
        with pytest.raises(polylens.PolylensError) as e:
            opener()
        assert str(e.value).startswith("%s: refused, its schema is not Polylens' own (%s)" % (path, expected))
        assert "\n" not in str(e.value)
    assert path.read_bytes() == before


def test_connections_are_hardened(ingested, tmp_path):
    db = polylens.connect(ingested)
    assert db.execute("PRAGMA trusted_schema").fetchone()[0] == 0
    with pytest.raises(sqlite3.DatabaseError):
        db.execute("ATTACH DATABASE '%s' AS other" % (tmp_path / "x.db"))
    assert not (tmp_path / "x.db").exists()
    with pytest.raises(sqlite3.DatabaseError):
        db.execute("SELECT load_extension('libm.so.6')")
    db.close()
