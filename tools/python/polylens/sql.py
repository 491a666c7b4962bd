"""The SQL vocabulary of `polylens sql` on a Python sqlite3 connection: the blob functions and `neuron_rows`.

`connect(path)` opens a Polylens file read-only and returns a `Connection` on which every file in Queries/
runs unchanged (sqlite3 directly or `pandas.read_sql_query`). `register(db)` adds the same to a connection you
opened yourself.

neuron_rows(run, language, layer, neuron, n, p_active, mean, std, max) is a TEMP table filled on the first
statement that names it (one row per neuron of every neuron_stats row, primary key (run, language, layer,
neuron)). `polylens sql` serves the same rows from a virtual table (Swift's NeuronRowsTable); Python's sqlite3
cannot define one, and a view over the decoded blobs was recomputed for every reference, which made self-joins
quadratic. p_active, mean and std (population) are NULL when n = 0; max is NULL where no token was counted
(-inf stored).
"""
import json
import math
import re
import sqlite3

import numpy as np

from . import codec

NEURON_ROWS = re.compile(r"\bneuron_rows\b", re.IGNORECASE)

NEURON_ROWS_TABLE = """
CREATE TEMP TABLE neuron_rows (
    run INTEGER NOT NULL, language TEXT NOT NULL, layer INTEGER NOT NULL, neuron INTEGER NOT NULL,
    n INTEGER NOT NULL, p_active REAL, mean REAL, std REAL, max REAL,
    PRIMARY KEY (run, language, layer, neuron)
) WITHOUT ROWID
"""


NEURON_ROWS_INSERT = """
INSERT INTO temp.neuron_rows
SELECT ?1, ?2, ?3, j.key, ?4, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3 FROM json_each(?5) j
"""


class _Cache:
    """The few most recently decoded blobs: a scan calling blob_at per neuron decodes each blob once."""

    def __init__(self, capacity=8):
        self.capacity, self.entries = capacity, []

    def get(self, blob, function):
        if blob is None:
            return None
        blob = bytes(blob)
        for k, (key, array) in enumerate(self.entries):
            if key == blob:
                self.entries.append(self.entries.pop(k))
                return array
        try:
            array = codec.decode(blob)
        except codec.BlobError as e:
            raise codec.BlobError("%s: %s" % (function, e)) from None
        self.entries.append((blob, array))
        if len(self.entries) > self.capacity:
            self.entries.pop(0)
        return array


def _header(blob, function):
    if blob is None:
        return None
    try:
        return codec.header(bytes(blob))
    except codec.BlobError as e:
        raise codec.BlobError("%s: %s" % (function, e)) from None


def _number(v):
    v = float(v)
    return v if math.isfinite(v) else None


def _json_number(v, integer):
    if integer:
        return str(int(v))
    return repr(float(v)) if math.isfinite(v) else "null"


def _cosine(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    na, nb = float(a @ a), float(b @ b)
    return None if na == 0 or nb == 0 else float(a @ b) / math.sqrt(na * nb)


def register(db):
    """Adds blob_at, blob_len, blob_dtype, blob_shape, blob_raw_size, blob_json, blob_cosine (2 and 3 arguments),
    blob_cosines, neuron_stats_json, and sqrt/ln (for SQLite builds without math functions) to `db`. On a `Connection`, an
    error inside a function surfaces as its own message (sqlite3 alone says "user-defined function raised
    exception")."""
    cache = _Cache()
    errors = getattr(db, "function_errors", [])

    def create_function(name, arity, function, deterministic):
        def call(*args):
            try:
                return function(*args)
            except Exception as e:
                errors.append(str(e))
                raise
        db.create_function(name, arity, call, deterministic=deterministic)

    def blob_at(b, i):
        a = cache.get(b, "blob_at")
        if a is None or i is None:
            return None
        flat = a.reshape(-1)
        if not 0 <= i < flat.size:
            raise codec.BlobError("blob_at: index %d outside 0..<%d" % (i, flat.size))
        return int(flat[i]) if flat.dtype.kind == "i" else float(flat[i])

    def blob_json(b):
        a = cache.get(b, "blob_json")
        if a is None:
            return None
        integer = a.dtype.kind == "i"
        return "[" + ",".join(_json_number(v, integer) for v in a.reshape(-1).tolist()) + "]"

    def blob_cosine(a, b, row=None):
        x, y = cache.get(a, "blob_cosine"), cache.get(b, "blob_cosine")
        if x is None or y is None:
            return None
        if row is None:
            if x.size != y.size:
                raise codec.BlobError("blob_cosine: lengths %d and %d differ" % (x.size, y.size))
            return _cosine(x.reshape(-1), y.reshape(-1))
        if x.ndim != 2 or x.shape != y.shape:
            raise codec.BlobError("blob_cosine: rows need two 2-D blobs of one shape, got %s and %s"
                                  % (list(x.shape), list(y.shape)))
        if not 0 <= row < x.shape[0]:
            raise codec.BlobError("blob_cosine: row %d outside 0..<%d" % (row, x.shape[0]))
        return _cosine(x[row], y[row])

    def blob_cosines(a, b):
        x, y = cache.get(a, "blob_cosines"), cache.get(b, "blob_cosines")
        if x is None or y is None:
            return None
        if x.ndim != 2 or x.shape != y.shape:
            raise codec.BlobError("blob_cosines: needs two 2-D blobs of one shape, got %s and %s"
                                  % (list(x.shape), list(y.shape)))
        return json.dumps([_cosine(x[r], y[r]) for r in range(x.shape[0])])

    def neuron_stats_json(n, active, s, sumsq, mx):
        rows = neuron_row_values(n, *(cache.get(b, "neuron_stats_json") for b in (active, s, sumsq, mx)))
        return json.dumps([[_number(v) if v is not None else None for v in r] for r in zip(*rows)])

    def ln(x):
        return math.log(x) if x is not None and x > 0 else None

    create_function("blob_at", 2, blob_at, deterministic=True)
    create_function("blob_len", 1, lambda b: None if b is None else _header(b, "blob_len").count, deterministic=True)
    create_function("blob_dtype", 1, lambda b: None if b is None else _header(b, "blob_dtype").dtype, deterministic=True)
    create_function("blob_shape", 1, lambda b: None if b is None else
                       "[" + ",".join(str(d) for d in _header(b, "blob_shape").shape) + "]", deterministic=True)
    create_function("blob_raw_size", 1, lambda b: None if b is None else _header(b, "blob_raw_size").raw_size,
                       deterministic=True)
    create_function("blob_json", 1, blob_json, deterministic=True)
    create_function("blob_cosine", 2, blob_cosine, deterministic=True)
    create_function("blob_cosine", 3, blob_cosine, deterministic=True)
    create_function("blob_cosines", 2, blob_cosines, deterministic=True)
    create_function("neuron_stats_json", 5, neuron_stats_json, deterministic=True)
    create_function("sqrt", 1, lambda x: None if x is None or x < 0 else math.sqrt(x), deterministic=True)
    create_function("ln", 1, ln, deterministic=True)


def neuron_row_values(n, active, s, sumsq, mx):
    """(p_active, mean, std, max) vectors of one neuron_stats row, float64, NaN where SQL has NULL."""
    if not (active.size == s.size == sumsq.size == mx.size):
        raise codec.BlobError("neuron_stats: statistics of lengths %d, %d, %d, %d"
                              % (active.size, s.size, sumsq.size, mx.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        tokens = float(n)
        mean = s / tokens
        std = np.sqrt(np.maximum(sumsq / tokens - mean * mean, 0))
        p = active / tokens
    return p, mean, std, mx.astype(np.float64)


def materialize_neuron_rows(db):
    """Fills TEMP neuron_rows from main.neuron_stats (once per connection). Uses the plain sqlite3 methods, so
    it works on any connection and does not re-enter `Connection.prepare`."""
    run = sqlite3.Connection.execute
    if run(db, "SELECT 1 FROM sqlite_temp_master WHERE name = 'neuron_rows'").fetchone():
        return
    only = run(db, "PRAGMA query_only").fetchone()[0]
    run(db, "PRAGMA query_only = OFF")
    outer = db.in_transaction
    if not outer:
        run(db, "BEGIN")
    try:
        run(db, NEURON_ROWS_TABLE)
        select = "SELECT run_id, language, layer, tokens, active, sum, sumsq, max FROM main.neuron_stats " \
                 "ORDER BY run_id, language, layer"
        for run_id, language, layer, n, *blobs in run(db, select).fetchall():
            values = np.stack(neuron_row_values(n, *(codec.decode(b) for b in blobs)), axis=1)
            # One JSON array per statistics row, spread by SQLite's json_each in C: 5x faster than executemany.
            run(db, NEURON_ROWS_INSERT, (run_id, language, layer, n, json.dumps(_nullable(values))))
        if not outer:
            run(db, "COMMIT")
    except BaseException:
        if not outer:
            run(db, "ROLLBACK")
        raise
    finally:
        if only:
            run(db, "PRAGMA query_only = ON")


def _nullable(v):
    """A float64 array as nested lists with None where it is not finite (JSON null, SQL NULL)."""
    finite = np.isfinite(v)
    if finite.all():
        return v.tolist()
    out = v.astype(object)
    out[~finite] = None
    return out.tolist()


class Cursor(sqlite3.Cursor):
    def execute(self, sql, *args):
        self.connection.prepare(sql)
        return self.connection.explained(super().execute, sql, *args)

    def executescript(self, script):
        self.connection.prepare(script)
        return self.connection.explained(super().executescript, script)

    def fetchone(self):
        return self.connection.explained(super().fetchone)

    def fetchmany(self, *args):
        return self.connection.explained(super().fetchmany, *args)

    def fetchall(self):
        return self.connection.explained(super().fetchall)


class Connection(sqlite3.Connection):
    """A sqlite3 connection that materializes neuron_rows before the first statement naming it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.function_errors = []

    def explained(self, call, *args):
        """Runs `call`; a failure inside one of our SQL functions is re-raised with that function's message."""
        del self.function_errors[:]
        try:
            return call(*args)
        except sqlite3.OperationalError:
            if self.function_errors:
                raise codec.BlobError(self.function_errors[-1]) from None
            raise

    def prepare(self, sql):
        if NEURON_ROWS.search(sql):
            materialize_neuron_rows(self)

    def cursor(self, factory=Cursor):
        return super().cursor(factory)

    def execute(self, sql, *args):
        return self.cursor().execute(sql, *args)

    def executescript(self, script):
        return self.cursor().executescript(script)


def connect(path, read_only=True):
    """A Connection to a Polylens file with the functions registered; read-only (query_only) by default."""
    from .file import check_identity
    uri = "file:%s?mode=%s" % (_quote(path), "ro" if read_only else "rw")
    try:
        db = sqlite3.connect(uri, uri=True, factory=Connection, isolation_level=None)
    except sqlite3.OperationalError as e:
        raise FileNotFoundError("%s: cannot open (%s)" % (path, e)) from None
    harden(db)
    # Text that is not UTF-8 (a received file can hold any bytes) is read with replacement characters, as the
    # Swift reader does, rather than failing the whole fetch.
    db.text_factory = lambda b: b.decode("utf-8", "replace")
    check_identity(db, path)
    register(db)
    if read_only:
        db.execute("PRAGMA query_only = ON")
    return db


def harden(db):
    """What PolylensFile.harden does in Swift, as far as this Python's sqlite3 reaches: defensive mode (3.12+),
    trusted_schema off (views and triggers call no side-effecting function), no extension loading, no ATTACH,
    triggers one deep. With the exact-schema check of check_identity, nothing the file brought can run."""
    if hasattr(db, "setconfig"):
        db.setconfig(sqlite3.SQLITE_DBCONFIG_DEFENSIVE, True)
        db.setconfig(sqlite3.SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, False)
    if hasattr(db, "enable_load_extension"):
        db.enable_load_extension(False)
    if hasattr(db, "setlimit"):
        db.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        db.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 10_000_000)
        db.setlimit(sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, 1)
    db.execute("PRAGMA trusted_schema = OFF")


def _quote(path):
    return str(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")
