#!/bin/sh
# The README's "Tested on" table, from what tests/vm/vm.sh recorded in
# build/vm/results.tsv: for each kernel and test, its latest run.
# usage: sh tests/vm/table.sh [results.tsv]
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
f=${1:-${VM_CACHE:-$top/build/vm}/results.tsv}
[ -s "$f" ] || { echo "table.sh: no results in $f (run make check-kernels)" >&2; exit 1; }
echo "| kernel | how | test | checks passed | failed | result |"
echo "|---|---|---|---:|---:|---|"
# the latest line of each kernel, mode and command; then in that order
awk -F '\t' '{ k = $2 FS $3 FS $4; last[k] = $0; if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
    END { for (i = 1; i <= n; i++) print last[order[i]] }' "$f" |
    sort -t "$(printf '\t')" -k2,2V -k3,3 -k4,4 |
    awk -F '\t' '{
	t = $4; sub(/^sh /, "", t); sub(/^tests\//, "", t)
	res = ($7 == "0" && $6 == "0") ? "pass" : ($7 ~ /^[0-9]+$/ ? "FAIL" : "FAIL (" $7 ")")
	printf "| %s | %s | %s | %s | %s | %s |\n", $2, ($3 == "shell" ? "shell, " $8 : $3 ", " $8), t, $5, $6, res
    }'
