"""A Polylens file as numpy arrays and pandas frames, and the table-level write API.

    f = polylens.open("out.polylens")
    f.tables()                      # every table (also those added by later migrations)
    f.table("summaries")            # rows as a DataFrame, blob columns decoded to numpy arrays
    f.neuron_stats()                # DataFrame indexed by (language, layer, neuron)
    f.neuron_arrays()               # {"languages", "active", "sum", ...} as [language, layer, neuron] arrays
    f.sql("SELECT ... FROM neuron_rows")   # what `polylens sql` answers, as a DataFrame

Writing (for workers that store results): `polylens.open(path, write=True)`, then `f.insert(table, rows)`
encodes numpy arrays into blobs and inserts all rows in one transaction.
"""
import json

import numpy as np

from . import codec
from . import schema
from . import sql as sqlmod

APPLICATION_ID = 0x504C4E53
# The newest schema this package knows: 001 initial, 002 language_states, 003 lens results, 004 neuron
# activity, 005 result provenance, 006 shard plans. Tables are read generically, so a newer table needs no code here.
SCHEMA_VERSION = 6
POOLINGS = ("weighted", "mean", "last")


class PolylensError(Exception):
    """A file or request that cannot be served; the message names the file and the problem."""


def check_identity(db, path):
    try:
        app = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
    except Exception as e:  # sqlite3.DatabaseError: file is not a database
        raise PolylensError("%s: not a SQLite file (%s)" % (path, e)) from None
    if app != APPLICATION_ID:
        raise PolylensError("%s: not a Polylens file (application_id %#x)" % (path, app))
    if version > SCHEMA_VERSION:
        raise PolylensError("%s: schema version %d is newer than this reader (%d)" % (path, version, SCHEMA_VERSION))
    found = schema.problems(db)
    if found:
        raise PolylensError("%s: refused, its schema is not Polylens' own (%s); `polylens verify` lists every difference"
                            % (path, found[0]))
    return version


def open(path, write=False):
    """Opens a Polylens file (read-only unless write=True)."""
    return PolylensFile(path, write=write)


def _pandas():
    try:
        import pandas
    except ImportError:
        raise PolylensError("this needs pandas (pip install pandas)") from None
    return pandas


class PolylensFile:
    def __init__(self, path, write=False):
        import os
        self.path = str(path)
        if not os.path.exists(self.path):
            raise PolylensError("%s: no such file" % self.path)
        self.db = sqlmod.connect(self.path, read_only=not write)
        self.version = self.db.execute("PRAGMA user_version").fetchone()[0]
        self.writable = write

    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- generic tables -------------------------------------------------------------------------------

    def tables(self):
        """Names of the file's tables (Polylens' own and any later migration's), without SQLite/GRDB bookkeeping."""
        return [r[0] for r in self.db.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'grdb_migrations' ORDER BY name")]

    def columns(self, table):
        self._check_table(table)
        return [r[1] for r in self.db.execute("SELECT * FROM pragma_table_info(?)", (table,))]

    def rows(self, table, where=None, params=(), decode=True):
        """The rows of `table` as a dict of columns: numbers/text as numpy arrays, blob columns as lists of
        decoded arrays (or raw bytes with decode=False). `where` is an SQL condition with ? parameters."""
        columns = self.columns(table)
        sql = "SELECT %s FROM main.%s" % (", ".join(_ident(c) for c in columns), _ident(table))
        if where:
            sql += " WHERE " + where
        data = self.db.execute(sql, params).fetchall()
        self._check_classes(table, columns, data)
        out = {}
        for k, c in enumerate(columns):
            values = [r[k] for r in data]
            if any(isinstance(v, (bytes, memoryview)) for v in values):
                out[c] = [self._decode(v, table, c) if decode and v is not None else v for v in values]
            else:
                out[c] = np.array(values, dtype=_column_dtype(values))
        return out

    def table(self, table, where=None, params=(), decode=True):
        """`rows(...)` as a pandas DataFrame (blob columns hold numpy arrays)."""
        return _pandas().DataFrame(self.rows(table, where, params, decode))

    def sql(self, query, params=()):
        """One statement with the functions and neuron_rows of `polylens sql`, as a DataFrame."""
        return _pandas().read_sql_query(query, self.db, params=params)

    def _check_classes(self, table, columns, data):
        """Raises a PolylensError naming `table.column` for the first value whose storage class is not the one the
        column declares, or a NULL in a NOT NULL column: SQLite's columns are loosely typed, and a received file's
        text in an INTEGER column or blob in a TEXT column must be an error here, not a TypeError further on."""
        declared = {r[1]: (r[2].upper(), r[3]) for r in self.db.execute("SELECT * FROM pragma_table_info(?)", (table,))}
        for k, c in enumerate(columns):
            kind, notnull = declared.get(c, ("", 0))
            if kind not in _STORAGE:
                continue
            for r in data:
                v = r[k]
                if v is None and not notnull or v is not None and type(v) in _STORAGE[kind][0]:
                    continue
                found = "is NULL" if v is None else "holds " + _PHRASE.get(type(v), "a value")
                raise PolylensError("%s: %s.%s %s where %s belongs" % (self.path, table, c, found, _STORAGE[kind][1]))

    def _decode(self, blob, table, column):
        try:
            return codec.decode(bytes(blob))
        except codec.BlobError as e:
            raise PolylensError("%s: %s.%s: %s" % (self.path, table, column, e)) from None

    def _check_table(self, table):
        if table not in self.tables():
            raise PolylensError("%s: has no table %s (schema version %d)" % (self.path, table, self.version))

    # -- runs -----------------------------------------------------------------------------------------

    def runs(self):
        """DataFrame of runs with architecture and parameters parsed from JSON."""
        frame = self.table("runs")
        frame["architecture"] = [self._json(s, "runs.architecture_json") for s in frame["architecture_json"]]
        frame["parameters"] = [self._json(s, "runs.parameters_json") for s in frame["parameters_json"]]
        return frame

    def _json(self, text, where):
        try:
            return json.loads(text)
        except ValueError as e:
            raise PolylensError("%s: %s is not JSON (%s)" % (self.path, where, e)) from None

    def run(self, run=None):
        """The only run of the file, or `run` when it exists (as `polylens export --run`)."""
        ids = [r[0] for r in self.db.execute("SELECT id FROM runs ORDER BY id")]
        if run is not None:
            if run not in ids:
                raise PolylensError("%s: there is no run %s (runs: %s)" % (self.path, run, ", ".join(map(str, ids))))
            return run
        if len(ids) != 1:
            raise PolylensError("%s: holds no run" % self.path if not ids else
                                "%s: holds runs %s; choose one with run=" % (self.path, ", ".join(map(str, ids))))
        return ids[0]

    # -- typed accessors ------------------------------------------------------------------------------

    def neuron_arrays(self, run=None, languages=None, layers=None):
        """Neuron statistics stacked as arrays: languages (sorted), layers, tokens [language, layer], and
        active i64 / sum f64 / sumsq f64 / max f32, each [language, layer, neuron]; plus p_active, mean, std."""
        run = self.run(run)
        r = self.rows("neuron_stats", "run_id = ? ORDER BY language, layer", (run,))
        langs = sorted(set(r["language"].tolist()) if languages is None else set(languages))
        lays = sorted(set(r["layer"].tolist()) if layers is None else set(layers))
        missing = [(g, l) for g in langs for l in lays
                   if not np.any((r["language"] == g) & (r["layer"] == l))]
        if missing:
            raise PolylensError("%s: no neuron statistics for %s" % (self.path, ", ".join("%s layer %d" % m for m in missing)))
        index = {(g, l): k for k, (g, l) in enumerate(zip(r["language"].tolist(), r["layer"].tolist()))}
        pick = [[index[(g, l)] for l in lays] for g in langs]
        out = {"languages": langs, "layers": np.array(lays, np.int64),
               "tokens": np.array([[r["tokens"][k] for k in row] for row in pick], np.int64)}
        for name in ("active", "sum", "sumsq", "max"):
            out[name] = np.stack([np.stack([r[name][k] for k in row]) for row in pick]) if pick else np.zeros((0, 0, 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            n = out["tokens"][:, :, None].astype(np.float64)
            out["p_active"] = out["active"] / n
            out["mean"] = out["sum"] / n
            out["std"] = np.sqrt(np.maximum(out["sumsq"] / n - out["mean"] ** 2, 0))
        return out

    def neuron_stats(self, run=None, languages=None, layers=None):
        """DataFrame indexed by (language, layer, neuron): n, active, sum, sumsq, max, p_active, mean, std."""
        pd = _pandas()
        a = self.neuron_arrays(run, languages, layers)
        g, l, k = a["active"].shape
        index = pd.MultiIndex.from_product([a["languages"], a["layers"].tolist(), range(k)],
                                           names=["language", "layer", "neuron"])
        columns = {"n": np.repeat(a["tokens"].reshape(-1), k)}
        for name in ("active", "sum", "sumsq", "max", "p_active", "mean", "std"):
            columns[name] = a[name].reshape(-1)
        return pd.DataFrame(columns, index=index)

    def documents(self, run=None, decode=True):
        return self.table("documents", "run_id = ? ORDER BY id", (self.run(run),), decode)

    def summaries(self, run=None, pooling="weighted", languages=None, items_only=False):
        """(documents frame, data f16 [document, layer, dim]) for one pooling, documents in id order."""
        if pooling not in POOLINGS:
            raise PolylensError("%s: unknown pooling %r (weighted, mean, last)" % (self.path, pooling))
        where = "d.run_id = ? AND s.pooling = ?" + (" AND d.item_key IS NOT NULL" if items_only else "")
        params = [self.run(run), pooling]
        if languages:
            where += " AND d.language IN (%s)" % ",".join("?" * len(languages))
            params += list(languages)
        data = self.db.execute(
            "SELECT d.id, d.language, d.source, d.item_key, d.sha256, d.tokens, s.data FROM summaries s "
            "JOIN documents d ON d.id = s.document_id WHERE %s ORDER BY d.id" % where, params).fetchall()
        self._check_classes("documents", ["id", "language", "source", "item_key", "sha256", "tokens"], [r[:6] for r in data])
        self._check_classes("summaries", ["data"], [r[6:] for r in data])
        frame = _pandas().DataFrame([r[:6] for r in data],
                                    columns=["document_id", "language", "source", "item_key", "sha256", "tokens"])
        arrays = [self._decode(r[6], "summaries", "data") for r in data]
        return frame, (np.stack(arrays) if arrays else np.zeros((0, 0, 0), np.float16))

    def lens(self, run=None):
        """(prompts frame with decoded tokens, {prompt_id: f16 [layer, position, dim]})."""
        prompts = self.table("lens_prompts", "run_id = ? ORDER BY id", (self.run(run),))
        states = {}
        for pid in prompts["id"].tolist():
            r = self.rows("lens_states", "prompt_id = ? ORDER BY layer", (pid,))
            states[pid] = np.stack(r["data"]) if r["data"] else np.zeros((0, 0, 0), np.float16)
        return prompts, states

    def neuron_sets(self, run=None):
        """{set name: {language: int array [k, 2] of (layer, neuron)}}."""
        out = {}
        sets = self.rows("neuron_sets", "run_id = ? ORDER BY name", (self.run(run),))
        for set_id, name in zip(sets["id"].tolist(), sets["name"].tolist()):
            m = self.rows("neuron_set_members", "set_id = ? ORDER BY language", (set_id,))
            out[name] = {g: np.stack([l, n], axis=1).astype(np.int64)
                         for g, l, n in zip(m["language"].tolist(), m["layers"], m["neurons"])}
        return out

    def lape_masks(self, name, run=None, layers=None):
        """A neuron set in the original LAPE repository's layout: (languages, [per language [per layer int64
        array of neuron indices]]), as identify.py's activation_mask holds it."""
        sets = self.neuron_sets(run)
        if name not in sets:
            raise PolylensError("%s: no neuron set %r (sets: %s)" % (self.path, name, ", ".join(sets) or "none"))
        if layers is None:
            arch = self.runs().set_index("id").loc[self.run(run), "architecture"]
            layers = int(arch["n_layers"])
        languages = sorted(sets[name])
        return languages, [[np.sort(m[m[:, 0] == l, 1]) for l in range(layers)] for m in (sets[name][g] for g in languages)]

    def ablation_results(self, run=None):
        frame = self.table("ablation_results", "run_id = ? ORDER BY id", (self.run(run),))
        frame["delta_nll"] = frame["nll_after"] - frame["nll_before"]
        return frame

    def unembedding(self, run=None):
        """(final_norm f32 [dim], matrix f16 [vocab, dim])."""
        r = self.rows("unembedding", "run_id = ?", (self.run(run),))
        if not r["run_id"].size:
            raise PolylensError("%s: run %d has no stored unembedding" % (self.path, self.run(run)))
        return r["final_norm"][0], r["matrix"][0]

    def language_states(self, run=None):
        """Per-language hidden-state sums (migration 002): {"languages", "layers", "tokens" [language, layer],
        "dim", "sum"/"sumsq" f64 [language, layer, dim]}; layer 0 = embeddings."""
        run = self.run(run)
        r = self.rows("language_states", "run_id = ? ORDER BY language, layer", (run,))
        langs = sorted(set(r["language"].tolist()))
        lays = sorted(set(r["layer"].tolist()))
        index = {(g, l): k for k, (g, l) in enumerate(zip(r["language"].tolist(), r["layer"].tolist()))}
        missing = [(g, l) for g in langs for l in lays if (g, l) not in index]
        if missing:
            raise PolylensError("%s: language_states lacks %s" % (self.path, ", ".join("%s layer %d" % m for m in missing)))
        pick = [[index[(g, l)] for l in lays] for g in langs]
        return {"languages": langs, "layers": np.array(lays, np.int64),
                "tokens": np.array([[r["tokens"][k] for k in row] for row in pick], np.int64),
                "dim": int(r["dim"][0]) if r["dim"].size else 0,
                "sum": np.stack([np.stack([r["sum"][k] for k in row]) for row in pick]) if pick else np.zeros((0, 0, 0)),
                "sumsq": np.stack([np.stack([r["sumsq"][k] for k in row]) for row in pick]) if pick else np.zeros((0, 0, 0))}

    def centroids(self, run=None):
        """(languages, layers, f64 [language, layer, dim]): each language's mean hidden state, sum / tokens."""
        s = self.language_states(run)
        with np.errstate(divide="ignore", invalid="ignore"):
            return s["languages"], s["layers"], s["sum"] / s["tokens"][:, :, None]

    # -- writing --------------------------------------------------------------------------------------

    def transaction(self):
        """A context in which every `insert` and `execute` joins one transaction, committed at its end and
        rolled back on any exception: a worker writes a whole result shard or nothing.

            with f.transaction():
                ids = f.insert("documents", docs)
                f.insert("neuron_stats", stats)
        """
        if not self.writable:
            raise PolylensError("%s: opened read-only; use polylens.open(path, write=True)" % self.path)
        return _Transaction(self.db)

    def execute(self, statement, params=()):
        """One SQL statement on a writable file (inside `transaction()` or on its own); returns the cursor."""
        if not self.writable:
            raise PolylensError("%s: opened read-only; use polylens.open(path, write=True)" % self.path)
        return self.db.execute(statement, params)

    def insert(self, table, rows, dtypes=None, filter="none"):
        """Inserts `rows` (dicts of column → value) into `table` in one transaction (the enclosing
        `transaction()` when there is one); numpy arrays become blobs (dtype from the array or `dtypes[column]`,
        e.g. {"data": "f16"}; `filter` "shuffle" byte-shuffles, or a dict column → filter).
        Returns the rowids. Nothing is written when any row fails."""
        if not self.writable:
            raise PolylensError("%s: opened read-only; use polylens.open(path, write=True)" % self.path)
        columns = self.columns(table)
        dtypes = dtypes or {}
        filters = filter if isinstance(filter, dict) else {}
        ids = []
        with _Transaction(self.db):
            for row in rows:
                unknown = [c for c in row if c not in columns]
                if unknown:
                    raise PolylensError("%s: table %s has no column %s" % (self.path, table, ", ".join(unknown)))
                names = list(row)
                values = [codec.encode(v, dtypes.get(c), filters.get(c, "none") if filters else filter)
                          if isinstance(v, np.ndarray) else v for c, v in row.items()]
                cur = self.db.execute("INSERT INTO main.%s (%s) VALUES (%s)" % (
                    _ident(table), ", ".join(map(_ident, names)), ", ".join("?" * len(names))), values)
                ids.append(cur.lastrowid)
        return ids


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on an exception; nested uses join the outer transaction."""

    def __init__(self, db):
        self.db = db
        self.outer = False

    def __enter__(self):
        self.outer = not self.db.in_transaction
        if self.outer:
            self.db.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, kind, value, traceback):
        if self.outer:
            self.db.execute("ROLLBACK" if kind else "COMMIT")
        return False


# Declared column type → (Python types sqlite3 gives for its storage classes, the phrase a message uses). An
# INTEGER in a REAL column is a number all the same; bool never comes out of sqlite3.
_STORAGE = {"INTEGER": ((int,), "an integer"), "REAL": ((float, int), "a real number"),
            "TEXT": ((str,), "text"), "BLOB": ((bytes,), "a blob")}
_PHRASE = {int: "an integer", float: "a real number", str: "text", bytes: "a blob"}


def _ident(name):
    return '"' + str(name).replace('"', '""') + '"'


def _column_dtype(values):
    if all(isinstance(v, int) for v in values):
        return np.int64
    if all(isinstance(v, (int, float)) for v in values):
        return np.float64
    return object
