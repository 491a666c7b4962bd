"""python3 -m polylens FILE [--run ID] [--sql QUERY]

Without --sql: the neuron statistics as CSV (language,layer,neuron,n,active,sum,sumsq,max), the columns of
`polylens export --what neuron-stats --format csv`. With --sql: one statement's result as CSV, the
vocabulary of `polylens sql` (blob functions, neuron_rows).
"""
import argparse
import csv
import sys

from . import codec
from .file import PolylensError, open as open_file


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m polylens", description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--run", type=int, help="run id (default: the only run)")
    parser.add_argument("--sql", help="an SQL statement, or a .sql file holding one")
    args = parser.parse_args(argv)
    try:
        with open_file(args.file) as f:
            out = sys.stdout
            if args.sql:
                text = args.sql
                if text.endswith(".sql") and not any(c.isspace() for c in text):
                    with _read(text) as q:
                        text = q.read()
                cursor = f.db.execute(text)
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow([d[0] for d in cursor.description])
                for row in cursor:
                    writer.writerow([codec.describe(v) if isinstance(v, bytes) else v for v in row])
                return 0
            a = f.neuron_arrays(args.run)
            out.write("language,layer,neuron,n,active,sum,sumsq,max\n")
            for g, language in enumerate(a["languages"]):
                for k, layer in enumerate(a["layers"].tolist()):
                    n = int(a["tokens"][g, k])
                    for i, (act, s, sq, mx) in enumerate(zip(a["active"][g, k].tolist(), a["sum"][g, k].tolist(),
                                                             a["sumsq"][g, k].tolist(), a["max"][g, k].tolist())):
                        out.write("%s,%d,%d,%d,%d,%r,%r,%r\n" % (language, layer, i, n, act, s, sq, mx))
    except (PolylensError, codec.BlobError, OSError) as e:
        print(str(e), file=sys.stderr)
        return 1
    return 0


def _read(path):
    import builtins
    return builtins.open(path, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
