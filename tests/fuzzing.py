"""Seeded generators of hostile input for the fuzz tests: valid messages of every type, then mutated.

Short runs by default (part of `make test`); LENSDESK_FUZZ_LONG=1 runs the long counts of issue 15, and
LENSDESK_FUZZ_SEED=N replays another seed. Read here, in the test harness, never by the application."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterator
from typing import Any

LONG = os.environ.get("LENSDESK_FUZZ_LONG", "") not in ("", "0")
SEED = int(os.environ.get("LENSDESK_FUZZ_SEED", "15"))


def count(short: int, long: int) -> int:
    """How many inputs a fuzz test generates: `long` under LENSDESK_FUZZ_LONG=1, else `short`."""
    return long if LONG else short


ODD_STRINGS = ["", " ", "\x00", "\u202e", "\ud7ff", "é" * 70, "x" * 65, "x" * 5000, "null", "[]", "{}",
               "candidate:", "<script>alert(1)</script>", "../../etc/passwd", "%00", "\\u0000", "1e309"]
ODD_VALUES: list[Any] = [None, True, False, 0, -1, 2**63, 1.5, float("1e308"), "", [], {}, [None], {"a": 1},
                         *ODD_STRINGS]


def valid_messages(rng: random.Random, token: str, session_id: str) -> list[dict[str, Any]]:
    """One valid instance of every client message type (join first)."""
    return [
        {"type": "join", "token": token, "session_id": session_id, "name": "Fuzz"},
        {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"},
        {"type": "ice", "candidate": f"candidate:1 1 udp {rng.randrange(2**31)} 203.0.113.{rng.randrange(1, 255)} "
                                     f"{rng.randrange(1, 65536)} typ host", "sdpMid": "0", "sdpMLineIndex": 0},
        {"type": "ice", "candidate": ""},
        {"type": "video_request"}, {"type": "video_accept"}, {"type": "video_decline"},
        {"type": "video_started", "facing": rng.choice(["environment", "user", "unknown"])},
        {"type": "video_stop"}, {"type": "mute", "muted": rng.random() < 0.5},
        {"type": "share_finding", "finding_id": f"f{rng.randrange(1000)}"}, {"type": "scan_request"},
        {"type": "scan_failed", "scan_id": f"s{rng.randrange(1000)}", "reason": "no camera"},
        {"type": "bye", "end_session": rng.random() < 0.1}, {"type": "ping"},
    ]


def _mutate_structure(rng: random.Random, msg: dict[str, Any]) -> dict[str, Any]:
    out = dict(msg)
    op = rng.randrange(7)
    keys = list(out)
    if op == 0 and keys:
        out.pop(rng.choice(keys))
    elif op == 1:
        out[rng.choice(["x", "v", "type", "token", "sdp", "__proto__", "muted", "é"])] = rng.choice(ODD_VALUES)
    elif op == 2 and keys:
        out[rng.choice(keys)] = rng.choice(ODD_VALUES)
    elif op == 3:
        out["type"] = rng.choice(["JOIN", "join ", "offer\x00", "answer", "welcome", "error", "", "a" * 100,
                                  "video_requested", "pong"])
    elif op == 4:
        out["v"] = rng.choice([0, 2, "1", 1.0, True, None, [1]])
    elif op == 5 and keys:
        key = rng.choice(keys)
        value = out[key]
        out[key] = value * rng.randrange(2, 300) if isinstance(value, str) else [value]
    else:
        depth = rng.randrange(1, 400)
        out[rng.choice(keys or ["x"])] = json.loads("[" * depth + "]" * depth)
    return out


def _mutate_text(rng: random.Random, text: str) -> str | bytes:
    op = rng.randrange(6)
    if op == 0:
        return text[: rng.randrange(len(text) + 1)]
    if op == 1:
        i = rng.randrange(len(text) + 1)
        return text[:i] + rng.choice(['"', "{", "}", ",", ":", "\\", "\x00", "\ud800", "\\ud800", "\\udfff\\ud800", "]", "NaN", "Infinity"]) + text[i:]
    if op == 2:  # a duplicate key: the last one wins in json.loads
        return text[:-1] + ', "type": "ping"}' if text.endswith("}") else text
    if op == 3:
        raw = bytearray(text.encode("utf-8", "surrogatepass"))
        for _ in range(rng.randrange(1, 4)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        return bytes(raw)
    if op == 4:
        return rng.choice(["[" * 5000, "{" * 3000, '"' + "a" * 10, "1", "null", "[]", "true", "", " " * 10])
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))


def messages(rng: random.Random, n: int, token: str, session_id: str,
             valid_ratio: float = 0.3) -> Iterator[str | bytes]:
    """n raw messages: a share valid, the rest structure-mutated then sometimes byte-mutated."""
    for _ in range(n):
        msg = rng.choice(valid_messages(rng, token, session_id)[1:])
        if rng.random() < valid_ratio:
            yield json.dumps(msg)
            continue
        for _ in range(rng.randrange(1, 4)):
            msg = _mutate_structure(rng, msg)
        text = json.dumps(msg, ensure_ascii=rng.random() < 0.5)
        yield _mutate_text(rng, text) if rng.random() < 0.4 else text


LOOPBACK_AND_MALFORMED = ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1", "localhost", "abcd.local", "",
                          "[::1]", "1.2.3", "300.1.1.1", "127.1", "0x7f.0.0.1"]


def candidates(rng: random.Random, n: int, addresses: list[str] | None = None) -> Iterator[str]:
    """n ICE candidate lines: well-formed (public, private, loopback, IPv6, names) and mutated."""
    addresses = addresses or ["203.0.113.7", "198.51.100.1", "8.8.8.8", "127.0.0.1", "10.0.0.1", "169.254.169.254",
                 "100.64.0.1", "192.168.1.1", "::1", "fe80::1%eth0", "2001:db8::1", "::ffff:10.0.0.1",
                 "64:ff9b::a00:1", "2002:a00:1::", "abcd.local", "example.com", "0.0.0.0", "255.255.255.255",
                 "[::1]", "1.2.3", "300.1.1.1", "ff02::1", "224.0.0.1", ""]
    tails: list[Callable[[], str]] = [
        lambda: "", lambda: " generation 0", lambda: " raddr 0.0.0.0 rport 0", lambda: " raddr",
        lambda: " raddr 1.2.3.4 rport", lambda: " tcptype active", lambda: " tcptype", lambda: " ufrag abcd",
        lambda: " network-id 1 network-cost 10", lambda: " " + "x " * rng.randrange(1, 50),
        lambda: " rport 99999999999999999999", lambda: " raddr example.com rport 9",
    ]
    for _ in range(n):
        parts = [rng.choice(["1", "abc", "", "-", "x" * 40]), rng.choice(["1", "2", "0", "256", "99999999999", "-1"]),
                 rng.choice(["udp", "UDP", "tcp", "TCP", "sctp", "dccp", "u\x00dp"]),
                 rng.choice(["2122260223", "0", "1", "4294967296", "99999999999999999999999", "1.5"]),
                 rng.choice(addresses), str(rng.choice([1, 9, 5000, 65535, 65536, 0, 10**12])),
                 rng.choice(["typ", "typ", "typ", "type", ""]),
                 rng.choice(["host", "srflx", "prflx", "relay", "HOST", "bogus", ""])]
        line = " ".join(parts) + rng.choice(tails)()
        if rng.random() < 0.3:
            words = line.split(" ")
            op = rng.randrange(4)
            if op == 0 and words:
                words.pop(rng.randrange(len(words)))
            elif op == 1:
                words.insert(rng.randrange(len(words) + 1), rng.choice(ODD_STRINGS))
            elif op == 2 and words:
                i = rng.randrange(len(words))
                words[i] = words[i] * rng.randrange(2, 5)
            else:
                rng.shuffle(words)
            line = " ".join(words)
        prefix = rng.choice(["candidate:", "candidate:", "a=candidate:", "", " candidate:", "candidate: "])
        yield (prefix + line)[:1024]
