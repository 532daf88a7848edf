#!/usr/bin/python3
"""Sender keys end to end, with raw peers (peer.py) beside real clients.

usage: senderkeys.py crowd TVCHAT N PORT[,PORT...]
    N members in #lobby, spread over the ports (the nodes of a cluster):
    alice and bob are real tvchat --batch clients on the first and last
    port, the others raw peers. alice says one line; every raw peer must
    get her session, sealed to its own prekey and signed by her
    identity, and open the one sealed blob the server relays to all;
    bob must show it verified.

usage: senderkeys.py order TVCHAT PORT
    A raw peer, zed, sends a real client, bob, chats before their session
    and out of order; then messages from before the index its session
    starts at; then bob is killed with -9 and restarted on its state file
    and must open zed's next message without a new session. bob's state
    file never holds a chain key zed's session has already passed.

Prints "ok - ..." / "not ok - ...: detail" lines.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import peer

interop = peer.interop


def report(good, what, detail=""):
    print(("ok - %s" if good else "not ok - %s: " + detail) % what,
          flush=True)


class Client:
    """A real tvchat --batch client, its events read line by line."""

    def __init__(self, tvchat, name, port, home):
        self.name, self.home, self.port = name, home, port
        self.tvchat = tvchat
        os.makedirs(home, exist_ok=True)
        self.events = []
        self.partial = b""
        self.start()

    def start(self):
        env = dict(os.environ, XDG_CONFIG_HOME=self.home + "/config",
                   XDG_DATA_HOME=self.home + "/data")
        self.proc = subprocess.Popen(
            [self.tvchat, "--batch", "-p", str(self.port), "-n", self.name,
             "127.0.0.1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(self.home + "/err", "ab"), env=env)
        os.set_blocking(self.proc.stdout.fileno(), False)

    def state_path(self):
        return "%s/data/tvchat/state/127.0.0.1:%d/%s" % (
            self.home, self.port, self.name.lower())

    def say(self, cmd):
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()

    def read(self):
        """Take what the client printed; return the new events."""
        new = []
        try:
            data = os.read(self.proc.stdout.fileno(), 1 << 20)
        except BlockingIOError:
            return new
        self.partial += data
        *lines, self.partial = self.partial.split(b"\n")
        for line in lines:
            if line.strip():
                new.append(json.loads(line))
        self.events += new
        return new

    def wait(self, pred, timeout=30):
        """The first event (old or new) pred accepts, or None."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for ev in self.events[seen:]:
                if pred(ev):
                    return ev
            seen = len(self.events)
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)
            self.read()

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def quit(self):
        try:
            self.say({"cmd": "quit"})
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()


def login(peers, names, key, timeout=120):
    """Answer every peer's challenge for its name; wait for the welcomes
    (kept, with what follows them, in p.pending). Returns how many got in."""
    def step(p, payload):
        m = json.loads(payload)
        if m["type"] == "challenge" and p.name is None:
            name = names[peers.index(p)]
            nonce = interop.unb64url(m["nonce"])
            p.sock.setblocking(True)
            p.send(p.hello_message(name, key, interop.sign(
                key, interop.hello_data(nonce, name))))
            p.sock.setblocking(False)
            p.name, p.key = name, key
        elif m["type"] == "welcome":
            p.pending = [m]
            return True
        elif hasattr(p, "pending"):
            p.pending.append(m)
        return False
    return len(peers) - len(peer.pump(peers, step, timeout))


def crowd(tvchat, n, ports):
    """Everyone in #lobby opens alice's message; see the module text."""
    home = tempfile.mkdtemp(prefix="senderkeys.")
    key = peer.shared_key()
    alice = Client(tvchat, "alice", ports[0], home + "/alice")
    bob = Client(tvchat, "bob", ports[-1], home + "/bob")
    for c in (alice, bob):
        if c.wait(lambda e: e.get("event") == "welcome") is None:
            report(False, "%s logs in" % c.name, "no welcome")
            return
    start = time.monotonic()
    peers, logged = [], 0
    names = ["p%04d" % i for i in range(n - 2)]
    for w in range(0, len(names), 100):
        wave = [peer.Peer(ports[(w + i) % len(ports)])
                for i in range(min(100, len(names) - w))]
        logged += login(wave, names[w:w + len(wave)], key)
        peers += wave
        alice.read()
        bob.read()
    report(logged == len(names), "%d raw peers log in over %d node(s)" %
           (len(names), len(ports)), "%d did" % logged)
    print("# logged in in %.1f s" % (time.monotonic() - start), flush=True)
    # alice seals for the members her roster shows: wait for them all.
    want = set(names) | {"bob"}
    joined = set()

    def all_joined(e):
        if e.get("event") == "welcome":
            joined.update(u["name"] for u in e.get("users", []))
        elif e.get("event") in ("join", "users"):
            joined.update([e["name"]] if "name" in e else
                          [u["name"] for u in e.get("users", [])])
        return want <= joined
    ok = alice.wait(all_joined, 120) is not None
    report(ok, "alice's roster shows all %d others" % (n - 1),
           "%d missing" % len(want - joined))
    start = time.monotonic()
    alice.say({"cmd": "say", "text": "hello, crowd"})
    akey = interop.from_jwk(interop.to_jwk(key.public_key()))
    # Her identity is what the welcome or users frames said.
    for p in peers:
        for m in p.pending:
            for u in m.get("users", []) + ([m["user"]] if "user" in m
                                           else []):
                if u["name"] == "alice":
                    akey = interop.from_jwk(u["key"])
    opened, failed, blobs = set(), [], set()

    def take(p, m):
        """Take m for peer p; True once p opened or failed."""
        if m.get("type") == "sender-key" and m.get("from") == "alice":
            try:
                p.take_key(m, akey)
            except interop.Failure as exc:
                failed.append("%s: %s" % (p.name, exc))
                return True
        elif m.get("type") == "chat" and m.get("from") == "alice":
            blobs.add(m["sealed"])
            try:
                if p.open(m)["text"] == "hello, crowd":
                    opened.add(p.name)
            except (interop.Failure, KeyError) as exc:
                failed.append("%s: %r" % (p.name, exc))
            return True
        return False
    # What came with the welcomes first, then the rest as it comes.
    rest = [p for p in peers if not any(take(p, m) for m in p.pending)]
    peer.pump(rest, lambda p, payload: take(p, json.loads(payload)), 180,
              alice.read)
    report(len(opened) == len(peers), "all %d raw peers open alice's "
           "message with the session she sealed to their prekeys" %
           len(peers), "%d did; %s" % (len(opened), "; ".join(failed[:3])))
    report(len(blobs) == 1, "the server relays one sealed blob to all",
           "%d different" % len(blobs))
    print("# delivered and opened in %.1f s" % (time.monotonic() - start),
          flush=True)
    ev = bob.wait(lambda e: e.get("event") == "chat" and
                  e.get("from") == "alice", 60)
    report(ev is not None and ev.get("verified") is True and
           ev.get("text") == "hello, crowd",
           "bob (tvchat) reads it, verified", str(ev))
    for p in peers:
        p.sock.setblocking(True)
        try:
            p.send({"type": "quit"})
        except OSError:
            pass
        p.close()
    alice.quit()
    bob.quit()
    shutil.rmtree(home, ignore_errors=True)


def order(tvchat, port):
    """Held, out of order, before the session, a restart; see above."""
    home = tempfile.mkdtemp(prefix="senderkeys.")
    bob = Client(tvchat, "bob", port, home + "/bob")
    welcome = bob.wait(lambda e: e.get("event") == "welcome")
    zed = peer.Peer(port)
    zed.hello("zed")
    ev = bob.wait(lambda e: e.get("event") == "join" and
                  e.get("name") == "zed")
    report(welcome is not None and ev is not None, "bob and zed are in")
    # bob's user object, with his prekey, as the server shows it.
    zed.send({"type": "who"})
    users = []
    while True:
        m = zed.recv_json()
        if m["type"] in ("who", "users"):
            users += m["users"]
            if not m.get("more"):
                break
    session = zed.session("#lobby")
    gives = zed.give("#lobby", users)  # the session from index 0
    chains = [session.ck]
    texts = ["first", "second", "third"]
    chats = []
    for t in texts:
        chats.append(zed.seal("#lobby", t, msg_id="o-" + t))
        chains.append(session.ck)
    # Third, first, then the session, then second: shown in index order
    # once the session comes, then the last as it comes.
    zed.send(chats[2])
    zed.send(chats[0])
    time.sleep(0.5)
    held = [e for e in bob.events if e.get("event") == "chat"]
    report(not held, "chats whose session has not come are held, not "
           "shown or refused", str(held))
    for m in gives:
        zed.send(m)
    zed.send(chats[1])
    got = []
    bob.wait(lambda e: e.get("event") == "chat" and
             got.append(e["text"]) is None and len(got) == 3)
    report(got == ["first", "third", "second"],
           "held chats are shown, in order, once the session arrives",
           str(got))
    ok = all(e.get("verified") is True for e in bob.events
             if e.get("event") == "chat")
    report(ok, "... each verified")
    # The state file holds no chain key zed's session has passed.
    time.sleep(0.3)
    with open(bob.state_path()) as f:
        text = f.read()
    old = [i for i, ck in enumerate(chains[:-1])
           if interop.b64url(ck) in text]
    report(not old and interop.b64url(chains[-1]) in text,
           "bob's state file holds the current chain key and none before",
           "old indices %s" % old)
    mode = os.stat(bob.state_path()).st_mode & 0o777
    report(mode == 0o600, "the state file is mode 0600", oct(mode))

    # A session given from index 5: messages 3 and 4 are from before.
    late = peer.Session("zed", interop.target_of("zed", ["bob"]))
    early = [late.seal(json.dumps({"id": "b%d" % i, "text": "early"})
                       .encode()) for i in range(5)]
    zed.sessions[late.target] = late
    for m in zed.give(["bob"], users):
        zed.send(m)
    for i in (3, 4):
        zed.send({"type": "chat", "to": ["bob"], "id": "b%d" % i,
                  "sealed": interop.b64url(early[i])})
    zed.send(zed.seal(["bob"], "after", msg_id="b5"))
    bob.wait(lambda e: e.get("text") == "after")
    before = [e for e in bob.events if e.get("event") == "before-join"]
    errors = [e for e in bob.events if e.get("event") == "chat-failed"]
    report(len(before) == 2 and not errors,
           "messages from before the session bob was given are reported "
           "as such, not as errors", "%s %s" % (before, errors))

    # kill -9, restart on the same state: zed's next message opens.
    bob.kill()
    bob.events = []
    bob.start()
    bob.wait(lambda e: e.get("event") == "welcome")
    zed.send(zed.seal("#lobby", "after the restart", msg_id="o-4"))
    ev = bob.wait(lambda e: e.get("event") == "chat", 15)
    report(ev is not None and ev.get("text") == "after the restart" and
           ev.get("verified") is True,
           "bob killed with -9 and restarted opens zed's next message "
           "without a new session", str(ev))
    # A replay of an opened message is said to be one, once.
    zed.send(chats[0])
    ev = bob.wait(lambda e: e.get("event") in ("duplicate", "chat-failed",
                                               "chat") and
                  e.get("id") == "o-first", 10)
    report(ev is not None and ev["event"] == "duplicate",
           "a replayed message is reported as a duplicate", str(ev))
    zed.close()
    bob.quit()
    shutil.rmtree(home, ignore_errors=True)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "crowd":
        crowd(sys.argv[2], int(sys.argv[3]),
              [int(p) for p in sys.argv[4].split(",")])
    elif len(sys.argv) == 4 and sys.argv[1] == "order":
        order(sys.argv[2], int(sys.argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
