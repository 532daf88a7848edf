#!/usr/bin/python3
"""Chat in flight while the broker is killed: N raw peers in #flight each
send M messages to the room, round after round; after a third of them the
broker is killed (SIGKILL). Every peer must receive every other peer's
messages exactly once: none lost with the broker, none twice when the
sessions send again what it had not acknowledged.

usage: brokerkill.py PORT N M BROKER_PID
Prints "ok - ..." / "not ok - ...: detail" lines and "# ..." figures.
"""

import os
import re
import selectors
import signal
import sys
import time

import peer

PORT, N, M, BROKER = (int(a) for a in sys.argv[1:5])
ID = re.compile(rb'"id":"(k\d+-\d+)"')


def report(good, what, detail=""):
    print(("ok - %s" if good else "not ok - %s: " + detail) % what,
          flush=True)


def read_some(sel, peers, timeout):
    """Read what is waiting on any peer; note the chat ids each got."""
    for key, _ in sel.select(timeout):
        p = peers[key.data]
        try:
            data = p.sock.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            continue
        if not data:
            sel.unregister(p.sock)
            p.closed = True
            continue
        p.buf += data
        for ftype, payload in p.frames():
            if ftype == 1 and payload.startswith(b'{"type":"chat"'):
                m = ID.search(payload)
                if m:
                    i = m.group(1).decode()
                    p.seen[i] = p.seen.get(i, 0) + 1
            elif ftype == 1 and b'"type":"error"' in payload[:20]:
                p.errors.append(payload.decode(errors="replace"))


def main():
    key = peer.shared_key()
    peers = []
    for i in range(N):
        p = peer.Peer(PORT)
        w = p.hello("k%02d" % i, key)
        if w.get("type") != "welcome":
            report(False, "peer %d joined" % i, str(w))
            return
        p.seen, p.errors = {}, []
        peers.append(p)
    # A room of their own: others on the server get none of this.
    for p in peers:
        p.send({"type": "room-join", "room": "#flight"})
        while True:
            _, payload = p.recv(10)
            if (b'"type":"room-join"' in payload and
                    ('"name":"%s"' % p.name).encode() in payload):
                break
    report(True, "%d peers joined #flight" % N)
    # One sealed body per sender: the server checks the form of a chat,
    # not its signature, and the ids are what the receivers count.
    bodies = {p.name: p.seal("#flight", "in flight") for p in peers}
    sel = selectors.DefaultSelector()
    for i, p in enumerate(peers):
        p.sock.setblocking(False)
        sel.register(p.sock, selectors.EVENT_READ, i)
    killed_at = None
    start = time.monotonic()
    for r in range(M):
        if r == M // 3:
            os.kill(BROKER, signal.SIGKILL)
            killed_at = time.monotonic()
        for p in peers:
            body = dict(bodies[p.name], id="%s-%d" % (p.name, r))
            data = peer.frame(body)
            while data:
                try:
                    data = data[p.sock.send(data):]
                except BlockingIOError:
                    read_some(sel, peers, 0.01)
        read_some(sel, peers, 0)
        time.sleep(0.002)
    print("# sent %d messages in %.2f s; broker killed at %.2f s" %
          (N * M, time.monotonic() - start, killed_at - start), flush=True)
    want = {p.name: {"%s-%d" % (q.name, r) for q in peers if q is not p
                     for r in range(M)} for p in peers}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
            not want[p.name] <= p.seen.keys() for p in peers):
        read_some(sel, peers, 0.2)
    lost = sum(len(want[p.name] - p.seen.keys()) for p in peers)
    twice = sum(n - 1 for p in peers for n in p.seen.values())
    print("# %d deliveries expected, %d lost, %d twice" %
          (sum(len(w) for w in want.values()), lost, twice), flush=True)
    report(lost == 0, "no message lost with the broker",
           "%d deliveries lost, e.g. %s" % (lost, sorted(
               (p.name, i) for p in peers
               for i in want[p.name] - p.seen.keys())[:3]))
    report(twice == 0, "no message delivered twice",
           "%d duplicates" % twice)
    errors = [e for p in peers for e in p.errors]
    report(not errors, "no sender was told of an error",
           "; ".join(errors[:3]))
    report(not any(p.closed for p in peers), "no peer lost its connection")
    for p in peers:
        p.sock.setblocking(True)
        p.send({"type": "quit"})
        p.close()


if __name__ == "__main__":
    main()
