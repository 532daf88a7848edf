#!/bin/sh
# The source tree's layout rules (see layout.py), read from the tree and
# the objects of this build.
: "${top_srcdir:?}" "${top_builddir:?}"
exec "${PYTHON3:-python3}" "$top_srcdir/tests/regress/layout.py"
