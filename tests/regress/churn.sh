#!/bin/bash
# Rosters stay exact under join/quit churn: a connected client sees every
# user of the churn join once and leave once, and clients that arrive in
# the middle of it end with exactly the users who are there (no ghost of
# someone who left while they were logging in).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

CYCLES=400
start_server --rate 1000 --burst 1000 --max-startups 100 \
    --per-source-startups 0 || exit 1
start_client obs
wait_for "$WORK/obs.out" '"event":"welcome"' 30 || exit 1
relay_tap < <(cd "$top_srcdir/tests/regress" &&
    "$PYTHON3" churn.py "$PORT" "$CYCLES" 12 2>&1 {FD_obs}>&-)
sleep 1
joins=$(grep -cE '"event":"join".*"name":"c[0-9]+"' "$WORK/obs.out")
leaves=$(grep -cE '"event":"leave","name":"c[0-9]+"' "$WORK/obs.out")
check "the watching client saw all $CYCLES joins ($joins)" \
    test "$joins" -eq "$CYCLES"
check "... and all $CYCLES leaves ($leaves)" test "$leaves" -eq "$CYCLES"
dups=$(grep -oE '"event":"(join|leave)"[^}]*"name":"c[0-9]+"' \
    "$WORK/obs.out" | sort | uniq -d | wc -l)
check "... each once" test "$dups" -eq 0
finish
