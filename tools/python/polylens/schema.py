"""The exact-schema check of Polylens files, as the Swift store does it (PolylensFile+Schema.swift).

A file is read only when its sqlite_master is exactly what the migrations it records (grdb_migrations, else every
one up to its user_version) make on an empty database: an extra view, trigger or index, or a renamed or altered
table, is refused with one line. The expected schema is derived by applying Schema/*.sql in memory, never kept
by hand (polylens/schema_sql links to the repository's Schema/ and is packaged with it).
"""
import functools
import pathlib
import re
import sqlite3

SCHEMA_DIR = pathlib.Path(__file__).resolve().parent / "schema_sql"
# What GRDB's DatabaseMigrator runs before the first migration (GRDB/Migration/DatabaseMigrator.swift).
LEDGER = "CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)"


def migrations():
    """(version, name, sql) of every Schema/NNN_*.sql, by version; the name is GRDB's migration identifier."""
    out = []
    for p in sorted(SCHEMA_DIR.glob("*.sql")):
        m = re.match(r"(\d+)", p.name)
        if m:
            out.append((int(m.group(1)), p.stem, p.read_text()))
    if not out:
        raise RuntimeError("%s holds no migrations: the package needs the repository's Schema/" % SCHEMA_DIR)
    return sorted(out)


def _objects(db):
    return {(t, n, tbl, " ".join(sql.split()) if sql is not None else None)
            for t, n, tbl, sql in db.execute("SELECT type, name, tbl_name, sql FROM main.sqlite_master")}


@functools.lru_cache(maxsize=None)
def expected(names):
    """sqlite_master objects after applying the migrations `names` (a tuple) in version order to :memory:."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        db.execute(LEDGER)
        for version, name, sql in migrations():
            if name in names:
                db.executescript(sql)
                db.execute("INSERT INTO grdb_migrations VALUES (?)", (name,))
        return frozenset(_objects(db))
    finally:
        db.close()


def _printable(s, limit=120):
    s = "".join(c if c.isprintable() else "\\u{%x}" % ord(c) for c in str(s)[:limit])
    return s + ("…" if len(str(s)) > limit else "")


def _label(obj):
    t, n, tbl, _ = obj
    return _printable("%s %s on %s" % (t, n, tbl) if t in ("index", "trigger") else "%s %s" % (t, n))


def problems(db):
    """One line per object that differs from the schema the file's version defines; empty when exact.
    Reads sqlite_master and, when it is the plain table GRDB made, grdb_migrations; nothing else."""
    actual = _objects(db)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    known = migrations()
    names = tuple(n for v, n, _ in known if v <= version)
    ledger = [o for o in actual if o[1] == "grdb_migrations"]
    if ledger and ledger[0] in expected((known[0][1],)):
        recorded = [r[0] for r in db.execute("SELECT identifier FROM main.grdb_migrations")]
        unknown = [r for r in recorded if r not in {n for _, n, _ in known}]
        if unknown:
            return ["records migration %s, which this package does not define" % _printable(unknown[0], 80)]
        names = tuple(n for _, n, _ in known if n in recorded)
    want = expected(names)
    by_name = {o[1]: o for o in want}
    present = {o[1] for o in actual}
    # Ranked as in Swift: a view standing in for a table, a planted view or trigger, other extra objects, missing
    # ones, altered ones (a renamed table also rewrites the foreign keys that refer to it).
    ranked = []
    for o in actual - want:
        w = by_name.get(o[1])
        if w is None:
            ranked.append((1 if o[0] in ("view", "trigger") else 2, o,
                           "%s is not part of schema version %d" % (_label(o), version)))
        elif w[0] == o[0]:
            ranked.append((4, o, "%s differs from the one schema version %d defines" % (_label(o), version)))
        else:
            ranked.append((0, o, "%s stands where schema version %d has a %s" % (_label(o), version, w[0])))
    for o in want - actual:
        if o[1] not in present:
            ranked.append((3, o, "%s of schema version %d is missing" % (_label(o), version)))
    out = [line for _, _, line in sorted(ranked, key=lambda r: (r[0], r[1][1], r[1][0]))]
    return out
