# Sourced by the benchmark scripts (through lib.sh, or directly).
# awk functions for the table scripts: val(k) is the value of "k=v" on
# the current line, median(list) the median of space-separated numbers.
BENCH_AWK='
	function val(k,    i, kv) {
		for (i = 1; i <= NF; i++) {
			if (index($i, "=") == 0)
				continue
			split($i, kv, "=")
			if (kv[1] == k)
				return kv[2]
		}
		return ""
	}
	function median(list,    a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
'
