#!/usr/bin/env bash
# Issue 14: values of the wrong storage class. For each (table, column) of FILE with rows, plants one value of another
# class in the first row of a copy (a blob in a TEXT column, text in an INTEGER, REAL or BLOB one) and runs every
# reader of BINARY on it. Prints one line per run that went wrong and a summary:
#   CRASH   the reader trapped, or ran past 60 s
#   BADMSG  it failed without exactly one line on stderr naming the file
#   SOUND   verify called the file sound
# Usage: tools/probe_storage_classes.sh BINARY FILE [WORKDIR]   (TABLES=name limits it to one table, LIKE pattern)
# About 20 minutes for all columns of a 100 MB file on one core (a release binary).
set -u
P=$(realpath "$1"); SRC=$(realpath "$2"); WORK=${3:-$(mktemp -d)}
mkdir -p "$WORK" && cd "$WORK" || exit 2
cols=$(sqlite3 "$SRC" "SELECT m.name || ' ' || p.name || ' ' || p.type FROM sqlite_master m JOIN pragma_table_info(m.name) p
  WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != 'grdb_migrations' AND m.name LIKE '${TABLES:-%}'
  AND p.type IN ('INTEGER', 'REAL', 'TEXT', 'BLOB')")
runs=0 crashes=0 bad=0 sound=0
while read -r t c ty; do
  [ "$(sqlite3 "$SRC" "SELECT count(*) FROM $t")" = 0 ] && continue
  case "$ty" in TEXT) val="x'ff'";; *) val="'abc'";; esac
  cp "$SRC" f.polylens; rm -f f.polylens-wal f.polylens-shm
  sqlite3 f.polylens "UPDATE $t SET $c = $val WHERE rowid = (SELECT min(rowid) FROM $t)" 2>/dev/null || continue  # e.g. INTEGER PRIMARY KEY
  for cmd in "verify f.polylens" "info f.polylens" "lape f.polylens" "mexa f.polylens" "lens f.polylens" "report f.polylens --out r.html" \
             "export f.polylens --what neuron-stats --out e.csv" "neuron f.polylens 1:1" "results f.polylens"; do
    runs=$((runs + 1))
    timeout 60 "$P" $cmd >out.txt 2>err.txt; rc=$?
    if [ $rc -ge 124 ] || grep -q "Fatal error" err.txt; then
      crashes=$((crashes + 1)); echo "CRASH rc=$rc $t.$c($ty)=$val :: $cmd :: $(grep -m1 -a 'Fatal\|error' err.txt | cut -c1-200)"
    elif [ "${cmd%% *}" = verify ]; then
      grep -q "belongs" out.txt || { sound=$((sound + 1)); echo "SOUND rc=$rc $t.$c($ty)=$val :: verify :: $(tail -1 out.txt | cut -c1-150)"; }
    elif [ $rc -ne 0 ] && { [ "$(wc -l < err.txt)" -ne 1 ] || ! grep -q "f.polylens" err.txt; }; then
      bad=$((bad + 1)); echo "BADMSG rc=$rc $t.$c($ty)=$val :: $cmd :: $(head -c 200 err.txt)"
    fi
  done
done <<< "$cols"
echo "$runs runs: $crashes CRASH, $bad BADMSG, $sound SOUND"
