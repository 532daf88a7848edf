#!/usr/bin/env python3
"""The source tree's layout rules (issue 14, DESIGN.md section 6), as TAP.

Reads the tree (top_srcdir) and the objects the build made (top_builddir):
1. no file under src/ is over 900 lines;
2. no two files of src/ call each other, directly or round a longer loop
   (read from the objects' symbol tables with nm: who defines, who uses);
3. every file of src/common is linked into more than one program (the
   interoperability test's crypto tool counts), and a program's folder is
   linked into that program only;
4. nothing outside presence.c and player.c reaches into their tables
   (->slots[, ->hdr->).
"""
import collections
import glob
import os
import re
import subprocess
import sys

SRC = os.path.join(os.environ["top_srcdir"], "src")
BUILD = os.environ["top_builddir"]
MAX_LINES = 900
# Folders of objects -> the program they make. The crypto tool counts: it
# is how the sealed-message format of tvchat-protocol(5) is checked
# against an independent implementation, so it links that format too.
PROGRAMS = {"tvchatd": "tvchatd", "tvchat": "tvchat", "viewer": "tvchat-viewer",
            "interop": "tvchat-cryptotool"}

results = []


def check(ok, what, detail=()):
    results.append((ok, what, list(detail)))


def sources():
    for path in sorted(glob.glob(os.path.join(SRC, "*", "*"))):
        if path.endswith((".c", ".h", ".cpp")):
            yield path


def rel(path):
    return os.path.relpath(path, os.path.dirname(SRC))


def symbols(obj):
    """(defined, used) global symbols of one object file."""
    out = subprocess.run(["nm", obj], capture_output=True, text=True,
                         check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TDBRVW":
            defined.add(f[2])
        elif len(f) == 2 and f[0] == "U":
            used.add(f[1])
    return defined, used


def source_of(obj):
    """src/<folder>/<file> for an object such as libtvchat_a-tui-draw.o."""
    folder = os.path.basename(os.path.dirname(obj))
    name = os.path.basename(obj)[:-2]
    if "-" in name and name.split("-", 1)[0].endswith(("_a", "viewer",
                                                         "tvchatd",
                                                         "tvchat")):
        name = name.split("-", 1)[1]
    return folder + "/" + name


# 1. Size.
big = []
for path in sources():
    with open(path, encoding="utf-8", errors="replace") as f:
        n = sum(1 for _ in f)
    if n > MAX_LINES:
        big.append("%s: %d lines" % (rel(path), n))
check(not big, "no file under src/ is over %d lines" % MAX_LINES, big)

# 2. Calls: one object per source file (the installed programs' build).
objs = [o for o in glob.glob(os.path.join(BUILD, "src", "*", "*.o")) +
        glob.glob(os.path.join(BUILD, "tests", "interop", "*.o"))
        if "hooks" not in os.path.basename(o)]
defs, uses = {}, {}
for o in objs:
    defs[source_of(o)], uses[source_of(o)] = symbols(o)
owner = {}
for src, d in defs.items():
    for s in d:
        owner.setdefault(s, src)
edges = collections.defaultdict(set)
for src, u in uses.items():
    for s in u:
        if s in owner and owner[s] != src:
            edges[src].add(owner[s])

index, low, stack, on, loops = {}, {}, [], set(), []
counter = [0]
sys.setrecursionlimit(10000)


def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges[v]:
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            loops.append(sorted(comp))


for v in sorted(defs):
    if v not in index:
        strong(v)
check(len(objs) > 20, "the build's objects are there to read (%d)" % len(objs))
check(not loops, "no files of src/ call each other in a loop",
      [" <-> ".join(l) for l in loops])

# 3. Who links what: a program links its own folder's files and what they
# use, transitively.
linked = collections.defaultdict(set)
for folder, prog in PROGRAMS.items():
    todo = [s for s in defs if s.startswith(folder + "/")]
    seen = set(todo)
    while todo:
        s = todo.pop()
        for t in edges[s]:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    for s in seen:
        linked[s].add(prog)
lonely = ["%s: only %s" % (s, ", ".join(sorted(linked[s])) or "nothing")
          for s in sorted(defs) if s.startswith("common/")
          and len(linked[s]) < 2]
check(not lonely, "every file of src/common is linked by two programs or more",
      lonely)
strays = ["%s: linked by %s" % (s, ", ".join(sorted(linked[s])))
          for s in sorted(defs) if not s.startswith("common/")
          and len(linked[s]) > 1]
check(not strays, "a program's folder is linked by that program only", strays)

# 4. The shared tables are touched only by their modules.
reach = re.compile(r"->\s*slots\s*\[|->\s*hdr\s*->")
touch = []
for path in sources():
    if os.path.basename(path) in ("presence.c", "player.c"):
        continue
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if reach.search(line):
                touch.append("%s:%d: %s" % (rel(path), n, line.strip()))
check(not touch, "only presence.c and player.c reach into their tables",
      touch)

print("1..%d" % len(results))
for i, (ok, what, detail) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    for d in detail[:20]:
        print("# " + d)
sys.exit(0 if all(r[0] for r in results) else 1)
