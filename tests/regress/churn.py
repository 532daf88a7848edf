#!/usr/bin/python3
"""Join/quit churn for churn.sh: rosters must stay exact.

usage: churn.py PORT CYCLES WATCHERS

WATCHERS raw peers stay connected and keep a roster from their welcome
and the join and leave notices after it; meanwhile four threads log in
and quit CYCLES users in all (c0, c1, ...), and each watcher arrives at
a different moment of the churn. When the churn is over every roster
must hold exactly the users still connected. Prints "ok - ..." or
"not ok - ..." lines, and "churn done" when the churn has ended.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402

PORT, CYCLES, WATCHERS = (int(a) for a in sys.argv[1:4])


def churn(first, step, errors):
    """Log in and quit users first, first + step, ... below CYCLES."""
    for i in range(first, CYCLES, step):
        try:
            p = peer.Peer(PORT)
            answer = p.hello("c%d" % i, key=peer.shared_key())
            if answer.get("type") != "welcome":
                errors.append("c%d: %s" % (i, answer))
            p.send({"type": "quit"})
            p.wait_closed()
        except (OSError, peer.Closed, TimeoutError) as e:
            errors.append("c%d: %r" % (i, e))


class Watcher:
    """A peer that keeps a roster."""

    def __init__(self, name):
        self.name = name
        self.peer = peer.Peer(PORT)
        welcome = self.peer.hello(name, key=peer.shared_key())
        self.roster = {u["name"] for u in welcome["users"]}

    def pump(self, seconds):
        """Apply the notices that arrive within seconds."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                ftype, payload = self.peer.recv(end - time.monotonic())
            except TimeoutError:
                return
            m = peer.json.loads(payload)
            if m["type"] == "join":
                self.roster.add(m["user"]["name"])
            elif m["type"] == "leave":
                self.roster.discard(m["name"])
            elif m["type"] == "ping":
                self.peer.send({"type": "pong", "id": m.get("id", 0)})


def main():
    peer.shared_key()
    errors, watchers = [], []
    threads = [threading.Thread(target=churn, args=(k, 4, errors))
               for k in range(4)]
    for t in threads:
        t.start()
    # Watchers arrive one by one while the churn runs, reading as they go.
    while any(t.is_alive() for t in threads) and len(watchers) < WATCHERS:
        watchers.append(Watcher("w%d" % len(watchers)))
        for w in watchers:
            w.pump(0.05)
    for t in threads:
        while t.is_alive():
            for w in watchers:
                w.pump(0.05)
    print("churn done", flush=True)
    for w in watchers:
        w.pump(2.0)
    names = {w.name for w in watchers} | {"obs"}
    good = not errors
    print(("ok" if good else "not ok") +
          " - all %d churn users got in and out" % CYCLES, flush=True)
    for e in errors[:5]:
        print("# " + e)
    ghosts = {w.name: sorted(w.roster - names) for w in watchers
              if w.roster - names}
    missing = {w.name: sorted(names - w.roster) for w in watchers
               if names - w.roster}
    print(("ok" if not ghosts else "not ok") +
          " - %d watchers who came during the churn have no ghosts"
          % len(watchers), flush=True)
    if ghosts:
        print("# ghosts: %s" % ghosts)
    print(("ok" if not missing else "not ok") +
          " - ... and miss nobody who is there", flush=True)
    if missing:
        print("# missing: %s" % missing)
    sys.stdout.flush()
    time.sleep(float(os.environ.get("CHURN_HOLD", "0")))


if __name__ == "__main__":
    main()
