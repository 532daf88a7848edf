#!/usr/bin/python3
"""Many clients at once: N raw peers connect together, all join, and all
receive one room message, the same sealed bytes for every one of them;
then a burst of 200 written at once, every one of them by everyone.

usage: swarm.py PORT N
Prints "ok - ..." / "not ok - ...: detail" lines.
"""

import json
import sys
import time

import peer

PORT, N = int(sys.argv[1]), int(sys.argv[2])
BURST = 200


def report(good, what, detail=""):
    print(("ok - %s" if good else "not ok - %s: " + detail) % what,
          flush=True)


def main():
    key = peer.shared_key()
    start = time.monotonic()
    peers = [peer.Peer(PORT) for _ in range(N)]
    report(True, "%d connections opened" % N)
    # Everyone answers the challenge; the same key may serve many names.
    for i, p in enumerate(peers):
        ftype, payload = p.recv(10)
        nonce = peer.interop.unb64url(json.loads(payload)["nonce"])
        name = "u%03d" % i
        p.send(p.hello_message(name, key, peer.interop.sign(
            key, peer.interop.hello_data(nonce, name))))
        p.name, p.key = name, key

    def welcomed(p, payload):
        if b'"type":"welcome"' in payload[:40]:
            p.welcome = True
        return getattr(p, "welcome", False)
    left = peer.pump(peers, welcomed, 60)
    report(not left, "all %d joined" % N, "%d without welcome" % len(left))
    print("# joined in %.1f s" % (time.monotonic() - start), flush=True)

    # The last one must know everyone: ask, then send to the room.
    last = peers[-1]
    last.send({"type": "who"})

    def got_who(p, payload):
        # A long roster comes as who, then "users" until one has no "more".
        # (A welcome's own "users" may still be on their way: skipped.)
        if b'"type":"who"' in payload[:20]:
            p.who = []
        if hasattr(p, "who") and (b'"type":"who"' in payload[:20] or
                                  b'"type":"users"' in payload[:20]):
            m = json.loads(payload)
            p.who += m["users"]
            return not m.get("more", False)
        return False
    peer.pump([last], got_who, 30)
    names = sorted(u["name"] for u in getattr(last, "who", []))
    report(names == sorted(p.name for p in peers),
           "who lists all %d" % N, "%d listed" % len(names))
    last.send(last.seal("#lobby", "hello, everyone", msg_id="swarm-1"))

    def got_chat(p, payload):
        return b'"type":"chat"' in payload[:20] and b'"swarm-1"' in payload
    left = peer.pump(peers, got_chat, 60)
    report(not left, "all %d received the broadcast" % N,
           "%d did not" % len(left))

    # A burst of BURST chats written at once: a packet per member each
    # inside the server, more than its queue to the broker holds, so the
    # session must stop reading the client, not drop what it read.
    burst = b"".join(peer.frame(last.seal("#lobby", "burst %d" % i,
                                          msg_id="burst-%d" % i))
                     for i in range(BURST))
    got = {}

    def got_burst(p, payload):
        if b'"type":"chat"' in payload[:20] and b'"burst-' in payload:
            got[p.name] = got.get(p.name, 0) + 1
        elif b'"type":"error"' in payload[:20]:
            got[p.name] = -1000000  # an error: never all
        return got.get(p.name, 0) == BURST
    last.send_raw(burst)
    left = peer.pump(peers, got_burst, 120)
    report(not left, "a burst of %d chats reaches all %d, nothing lost" %
           (BURST, N), "%d short, e.g. %s" % (len(left), sorted(
               "%s:%d" % (peers[i].name, got.get(peers[i].name, 0))
               for i in left)[:3]))
    for p in peers:
        p.send({"type": "quit"})
        p.close()


if __name__ == "__main__":
    main()
