#!/bin/sh
# Draws detengo's latency against hosts blocked as SVG, one line per backend.
#
# Usage: sh bench/latency-svg.sh DIR > picture.svg
# DIR holds lat-BACKEND.dat files (bench/detengo.sh writes them), one
# "hosts median_ms" pair a line.  x: hosts blocked (log scale, 0 drawn
# at the left edge); y: median ms from the log line to the kernel (log
# scale, 0.01 to 1000 ms).
DIR=${1:?usage: latency-svg.sh DIR}
set -- "$DIR"/lat-*.dat
[ -e "$1" ] || { echo "latency-svg.sh: no lat-*.dat in $DIR" >&2; exit 1; }
for f in "$@"; do
	b=${f##*/lat-}
	awk -v b="${b%.dat}" 'NF == 2 && $2 != "-" { print b, $1, $2 }' "$f"
done | awk '
function xpos(h) { return 80 + (h <= 0 ? 0 : (log(h) / log(10)) / 5 * 560) }
function ypos(ms) {
	if (ms < 0.01) ms = 0.01
	return 40 + (3 - log(ms) / log(10)) / 5 * 320
}
{ n[$1]++; hx[$1, n[$1]] = $2; my[$1, n[$1]] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++nb] = $1 } }
END {
	split("#c0392b #2471a3 #1e8449 #7d3c98", col, " ")
	print "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"440\" font-family=\"sans-serif\" font-size=\"12\">"
	print "<rect width=\"720\" height=\"440\" fill=\"white\"/>"
	print "<text x=\"360\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">detengo: a mail line to its block in the kernel, median, by hosts blocked</text>"
	for (e = -2; e <= 3; e++) {
		y = ypos(10 ^ e)
		printf "<line x1=\"80\" y1=\"%.1f\" x2=\"640\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", y, y
		printf "<text x=\"74\" y=\"%.1f\" text-anchor=\"end\">%s ms</text>\n", y + 4, (10 ^ e)
	}
	split("0 10 100 1000 10000 100000", xs, " ")
	for (i = 1; i <= 6; i++) {
		x = xpos(xs[i])
		printf "<line x1=\"%.1f\" y1=\"40\" x2=\"%.1f\" y2=\"360\" stroke=\"#eee\"/>\n", x, x
		printf "<text x=\"%.1f\" y=\"378\" text-anchor=\"middle\">%s</text>\n", x, xs[i]
	}
	print "<text x=\"360\" y=\"400\" text-anchor=\"middle\">hosts already blocked (log scale)</text>"
	printf "<line x1=\"80\" y1=\"%.1f\" x2=\"640\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n", ypos(1), ypos(1)
	printf "<text x=\"636\" y=\"%.1f\" text-anchor=\"end\" fill=\"#666\">target for the set backends: 1 ms</text>\n", ypos(1) - 4
	for (b = 1; b <= nb; b++) {
		k = order[b]
		pts = ""
		for (i = 1; i <= n[k]; i++) {
			pts = pts sprintf("%.1f,%.1f ", xpos(hx[k, i]), ypos(my[k, i]))
			printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s, %d hosts: %s ms</title></circle>\n", xpos(hx[k, i]), ypos(my[k, i]), col[b], k, hx[k, i], my[k, i]
			printf "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-size=\"10\">%s</text>\n", xpos(hx[k, i]) + 6, ypos(my[k, i]) - 6, col[b], my[k, i]
		}
		printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", col[b], pts
		printf "<rect x=\"%d\" y=\"418\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"424\">%s</text>\n", 100 + (b - 1) * 140, col[b], 118 + (b - 1) * 140, k
	}
	print "</svg>"
}'
