#!/bin/sh
# Replay every fuzz target over its seed corpus (TAP). With the replay
# driver a directory would do, but a libFuzzer binary given a directory
# starts fuzzing, so both get the seed files one by one.

: "${top_srcdir:?}" "${top_builddir:?}"

targets="frame msg jwk senderkey distribution cluster screentext client knownkeys batch redis ipc"
echo "1..12"
n=0
for t in $targets; do
	n=$((n + 1))
	prog="$top_builddir/tests/fuzz/fuzz_$t"
	corpus="$top_srcdir/tests/fuzz/corpus/$t"
	set --
	for f in "$corpus"/*; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	if [ "$t" = redis ] && ! grep -q '^#define HAVE_HIREDIS 1' \
	    "$top_builddir/config.h"; then
		echo "ok $n - fuzz_$t corpus # SKIP built without hiredis"
	elif [ ! -x "$prog" ]; then
		echo "not ok $n - fuzz_$t corpus # $prog is not built"
	elif [ $# -eq 0 ]; then
		echo "not ok $n - fuzz_$t corpus # no seed files in $corpus"
	# The extra step keeps the shell from exec'ing the target, so a
	# crash ("Aborted") is reported inside the captured output.
	elif out=$(exec 2>&1; "$prog" "$@"; r=$?; exit $r); then
		echo "ok $n - fuzz_$t corpus ($# inputs)"
	else
		echo "not ok $n - fuzz_$t corpus"
		# The failing input (libFuzzer names it), the harness's
		# message and the sanitizer's summary.
		printf '%s\n' "$out" | awk '
		    /^Running: / { last = $0 }
		    /^fuzz_[a-z]+: |ERROR|SUMMARY|runtime error/ {
			if (last != "") print last
			last = ""
			print
		    }' | head -n 20 | cut -c 1-200 | sed 's/^/# /'
	fi
done
exit 0
