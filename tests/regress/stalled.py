#!/usr/bin/python3
"""A session that stops (SIGSTOP) while a peer sends it M direct messages:
the broker cuts its link rather than hold them all, and once the session
runs again its client is told how many were lost; what it got plus that
count is every message, and the sender is never held up.

usage: stalled.py PORT SERVER_LOG M
Prints "ok - ..." / "not ok - ...: detail" lines and "# ..." figures.
"""

import os
import re
import select
import signal
import sys
import time

import peer

PORT, LOG, M = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])


def report(good, what, detail=""):
    print(("ok - %s" if good else "not ok - %s: " + detail) % what,
          flush=True)


def session_pid(sock):
    """The pid of the session serving the connection sock (from the log)."""
    port = sock.getsockname()[1]
    want = re.compile(r"session (\d+) for 127\.0\.0\.1:%d$" % port)
    for _ in range(50):
        for line in open(LOG, errors="replace"):
            m = want.search(line.rstrip("\n"))
            if m:
                return int(m.group(1))
        time.sleep(0.1)
    raise SystemExit("no session for port %d in the log" % port)


def main():
    key = peer.shared_key()
    sender, victim = peer.Peer(PORT), peer.Peer(PORT)
    sender.hello("sender", key)
    victim.hello("victim", key)
    pid = session_pid(victim.sock)
    body = sender.seal(["victim"], "are you there?")
    os.kill(pid, signal.SIGSTOP)
    start = time.monotonic()
    try:
        # Send everything, reading our echoes meanwhile (not to be cut
        # off as too slow ourselves); then a ping must be answered.
        out = b"".join(peer.frame(dict(body, id="s-%d" % i))
                       for i in range(M)) + peer.frame(
                           {"type": "ping", "id": 7})
        sender.sock.setblocking(False)
        pong = False
        while not pong and time.monotonic() - start < 60:
            r, w, _ = select.select([sender.sock],
                                    [sender.sock] if out else [], [], 1)
            if w:
                out = out[sender.sock.send(out[:1 << 16]):]
            if r:
                data = sender.sock.recv(1 << 20)
                if not data:
                    break
                sender.buf += data
                pong = b'"type":"pong"' in sender.buf[-4096:]
                if not pong:
                    sender.buf = sender.buf[-64:]
        report(pong, "the sender goes on while the victim's session "
               "stops", "no pong")
        print("# %d messages sent in %.2f s" %
              (M, time.monotonic() - start), flush=True)
    finally:
        os.kill(pid, signal.SIGCONT)
    got, lost, errors = 0, None, []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (lost is None or got + lost < M):
        try:
            ftype, payload = victim.recv(5)
        except TimeoutError:
            break
        if b'"type":"chat"' in payload[:20]:
            got += 1
        elif b'"type":"error"' in payload[:20]:
            text = payload.decode(errors="replace")
            m = re.search(r'"message":"(\d+) messages or notices for you '
                          r'were lost', text)
            if m:
                lost = (lost or 0) + int(m.group(1))
            else:
                errors.append(text)
    print("# the victim got %d, was told %s lost" % (got, lost), flush=True)
    report(lost is not None and lost > 0,
           "the victim is told that messages were lost", "never told")
    report(lost is not None and got + lost == M,
           "what it got and what it was told of are all %d" % M,
           "%d got + %s lost" % (got, lost))
    report(not errors, "no other error", "; ".join(errors[:2]))
    for p in (sender, victim):
        p.send({"type": "quit"})
        p.close()


if __name__ == "__main__":
    main()
