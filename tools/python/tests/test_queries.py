"""Every file in Queries/ runs unchanged in Python (sqlite3 and pandas) and gives what `polylens sql` gives."""
import json
import math

import pandas as pd
import pytest

import polylens
from conftest import REPO, polylens as cli

QUERIES = sorted((REPO / "Queries").glob("*.sql"))


def same(a, b, column):
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
            return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    if column == "neurons" and isinstance(a, str):  # group_concat's order is unspecified
        return sorted(a.split()) == sorted(b.split())
    return a == b


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_query_runs_both_ways(ingested, query):
    sql = query.read_text()
    swift = json.loads(cli("sql", ingested, query, "--format", "json").stdout)
    assert swift, "%s returned no rows on the test file" % query.name
    with polylens.open(ingested) as f:
        rows = f.db.execute(sql).fetchall()
        columns = [d[0] for d in f.db.execute(sql).description]
        frame = pd.read_sql_query(sql, f.db)
    assert list(swift[0]) == columns == list(frame.columns)
    assert len(rows) == len(swift) == len(frame)
    for k, (mine, theirs) in enumerate(zip(rows, swift)):
        for c, a in zip(columns, mine):
            assert same(a, theirs[c], c), "%s row %d column %s: python %r, polylens sql %r" % (query.name, k, c, a, theirs[c])
    for c in columns:  # pandas holds the same values as sqlite3
        assert all(same(None if pd.isna(x) else x, y, c) for x, y in zip(frame[c].tolist(), [r[columns.index(c)] for r in rows]))


def test_neuron_rows_equal_polylens_sql_and_the_arrays(ingested):
    swift = cli("sql", ingested, "SELECT * FROM neuron_rows ORDER BY run, language, layer, neuron", "--format", "csv").stdout
    header, *lines = swift.strip().split("\n")
    with polylens.open(ingested) as f:
        rows = f.db.execute("SELECT * FROM neuron_rows ORDER BY run, language, layer, neuron").fetchall()
        a = f.neuron_arrays()
    assert header.split(",") == ["run", "language", "layer", "neuron", "n", "p_active", "mean", "std", "max"]
    assert len(lines) == len(rows) == a["active"].size
    for line, row in zip(lines, rows):
        fields = line.split(",")
        assert fields[:5] == [str(v) for v in row[:5]]
        for text, value in zip(fields[5:], row[5:]):
            assert (text == "" and value is None) or float(text) == value
    g = a["languages"].index(rows[7][1])
    assert rows[7][5] == a["active"][g, 0, 7] / a["tokens"][g, 0]
    assert rows[7][8] == float(a["max"][g, 0, 7])


def test_self_join_uses_the_materialized_table(ingested):
    # The query that took seconds with a view: every neuron against itself in another language.
    sql = """SELECT count(*), sum(a.p_active > b.p_active) FROM neuron_rows a JOIN neuron_rows b
             ON a.run = b.run AND a.layer = b.layer AND a.neuron = b.neuron AND a.language = 'C' AND b.language = 'Python'"""
    swift = json.loads(cli("sql", ingested, sql, "--format", "json").stdout)[0]
    with polylens.open(ingested) as f:
        count, greater = f.db.execute(sql).fetchone()
        a = f.neuron_arrays()
    c, p = a["languages"].index("C"), a["languages"].index("Python")
    assert count == a["active"][c].size == list(swift.values())[0]
    assert greater == int((a["p_active"][c] > a["p_active"][p]).sum()) == list(swift.values())[1]


def test_blob_functions_match_polylens_sql(ingested):
    sql = """SELECT blob_len(active), blob_at(active, 7), blob_at(sum, 7), blob_at(max, 7), blob_dtype(sumsq),
                    blob_shape(sum), blob_raw_size(active), json_array_length(blob_json(max)),
                    blob_cosine(sum, sumsq), blob_json(active) = blob_json(active)
             FROM neuron_stats ORDER BY language, layer"""
    swift = [list(r.values()) for r in json.loads(cli("sql", ingested, sql, "--format", "json").stdout)]
    with polylens.open(ingested) as f:
        mine = [list(r) for r in f.db.execute(sql)]
        s = f.db.execute("""SELECT blob_cosine(a.data, b.data, 2), blob_cosine(a.data, b.data) FROM summaries a, summaries b
                            WHERE a.rowid = 1 AND b.rowid = 2""").fetchone()
        every = f.db.execute("""SELECT blob_cosines(a.data, b.data), a.layers FROM summaries a, summaries b
                                WHERE a.rowid = 1 AND b.rowid = 2""").fetchone()
        rows = [f.db.execute("""SELECT blob_cosine(a.data, b.data, ?) FROM summaries a, summaries b
                                WHERE a.rowid = 1 AND b.rowid = 2""", (layer,)).fetchone()[0] for layer in range(every[1])]
        assert json.loads(every[0]) == rows and rows[2] == s[0]
        with pytest.raises(Exception, match="blob_at"):
            f.db.execute("SELECT blob_at(active, 100000) FROM neuron_stats").fetchall()
    assert len(mine) == len(swift)
    for x, y in zip(mine, swift):
        assert all(same(a, b, "") for a, b in zip(x, y)), (x, y)
    swift_s = list(json.loads(cli("sql", ingested, """SELECT blob_cosine(a.data, b.data, 2), blob_cosine(a.data, b.data),
        blob_cosines(a.data, b.data) FROM summaries a, summaries b WHERE a.rowid = 1 AND b.rowid = 2""",
        "--format", "json").stdout)[0].values())
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(s, swift_s[:2]))
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(json.loads(every[0]), json.loads(swift_s[2])))
