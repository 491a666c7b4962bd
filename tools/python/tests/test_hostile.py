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


# A value of the wrong storage class in each table the readers use (SQLite's columns are loosely typed): text in an
# INTEGER column, a blob in a TEXT column, text in a BLOB column, a blob in a REAL one. Each reader answers with one
# PolylensError naming the file and table.column; before, they raised TypeError or UnicodeDecodeError tracebacks.
WRONG_CLASSES = [
    ("runs", "model_path", "x'ff'", "a blob where text belongs", lambda f: f.runs()),
    ("runs", "architecture_json", "x'ff'", "a blob where text belongs", lambda f: f.lape_masks("lape")),
    ("documents", "language", "x'ff'", "a blob where text belongs", lambda f: f.documents()),
    ("documents", "tokens", "'abc'", "text where an integer belongs", lambda f: f.documents()),
    ("summaries", "data", "'abc'", "text where a blob belongs", lambda f: f.summaries(pooling="mean")),
    ("neuron_stats", "layer", "'abc'", "text where an integer belongs", lambda f: f.neuron_arrays()),
    ("neuron_stats", "active", "'abc'", "text where a blob belongs", lambda f: f.neuron_stats()),
    ("lens_prompts", "first_position", "x'00'", "a blob where an integer belongs", lambda f: f.lens()),
    ("activation_histograms", "counts", "'abc'", "text where a blob belongs", lambda f: f.table("activation_histograms")),
    ("neuron_contexts", "scope", "x'ff'", "a blob where text belongs", lambda f: f.table("neuron_contexts")),
    ("neuron_sets", "name", "x'ff'", "a blob where text belongs", lambda f: f.neuron_sets()),
    ("ablation_runs", "set_name", "x'ff'", "a blob where text belongs", lambda f: f.table("ablation_runs")),
    ("ablation_results", "nll_after", "x'00'", "a blob where a real number belongs", lambda f: f.ablation_results()),
]


@pytest.mark.parametrize("table, column, value, expected, read", WRONG_CLASSES, ids=["%s.%s" % c[:2] for c in WRONG_CLASSES])
def test_wrong_storage_class_is_one_error_naming_the_column(ingested, tmp_path, table, column, value, expected, read):
    path = planted(ingested, tmp_path, "UPDATE %s SET %s = %s WHERE rowid = (SELECT min(rowid) FROM %s%s);"
                   % (table, column, value, table, " WHERE pooling = 'mean'" if table == "summaries" else ""))
    with polylens.open(path) as f:
        with pytest.raises(polylens.PolylensError) as e:
            read(f)
    assert str(e.value) == "%s: %s.%s holds %s" % (path, table, column, expected)


def test_text_that_is_not_utf8_is_read_not_raised(ingested, tmp_path):
    path = planted(ingested, tmp_path, "UPDATE runs SET model_path = CAST(x'2f6dff' AS TEXT);")
    with polylens.open(path) as f:
        assert f.runs()["model_path"][0] == "/m\ufffd"


def test_text_that_is_not_json_is_one_error(ingested, tmp_path):
    path = planted(ingested, tmp_path, "UPDATE runs SET parameters_json = '{not json';")
    with polylens.open(path) as f:
        with pytest.raises(polylens.PolylensError) as e:
            f.runs()
    assert str(e.value).startswith("%s: runs.parameters_json is not JSON (" % path)
