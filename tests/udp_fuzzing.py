"""Seeded hostile UDP datagrams for a media port (STUN-, DTLS-, RTP-, RTCP-shaped, mutated, and random), and a
paced sender that fires them from a loopback socket: `python -m tests.udp_fuzzing --target 127.0.0.1:PORT ...`.

Run as its own process by tests/integration/media/test_udp_fuzz.py so the sending does not take CPU from the
test's peers. Only loopback targets are accepted: tests never send a packet off this machine."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import socket
import struct
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

STUN_COOKIE = 0x2112A442
POOL = 50_000  # distinct datagrams generated up front
STUN_ATTRIBUTES = (0x0001, 0x0006, 0x0008, 0x0009, 0x000A, 0x0014, 0x0015, 0x0020, 0x0024, 0x0025, 0x8022,
                   0x8028, 0x8029, 0x802A, 0xC057, 0x0013, 0x0012, 0x0016, 0x000D, 0xFFFF, 0x0000)


@dataclass(frozen=True)
class Knowledge:
    """What an attacker who saw the session's SDP would know (the server's ICE ufrag, the media SSRCs)."""

    ufrag: str = "abcd"
    ssrcs: tuple[int, ...] = ()


def _stun(rng: random.Random, know: Knowledge) -> bytes:
    method = rng.choice([0x001, 0x001, 0x001, 0x003, 0x004, 0x006, 0x008, 0x009, 0x00A, rng.randrange(0x1000)])
    klass = rng.choice([0x0000, 0x0010, 0x0100, 0x0110])  # request, indication, success, error
    msg_type = (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) | klass
    tid = rng.randbytes(12)
    attrs = b""
    for _ in range(rng.randrange(6)):
        kind = rng.choice(STUN_ATTRIBUTES)
        if kind == 0x0006 and rng.random() < 0.6:  # USERNAME with the server's real ufrag: the integrity check runs
            value = f"{know.ufrag}:{rng.choice(['x', 'peer', '', 'é' * 40])}".encode()
        elif kind == 0x0008:  # MESSAGE-INTEGRITY (wrong key)
            value = rng.randbytes(rng.choice([20, 20, 19, 0, 32]))
        elif kind in (0x0020, 0x0001, 0x8020):  # (XOR-)MAPPED-ADDRESS, odd families and lengths
            value = bytes([0, rng.choice([1, 2, 0, 3, 255])]) + rng.randbytes(rng.choice([2, 6, 18, 0, 1]))
        elif kind == 0x0009:  # ERROR-CODE, odd classes and reasons
            value = bytes([0, 0, rng.randrange(256), rng.randrange(256)]) + rng.randbytes(rng.randrange(8))
        else:
            value = rng.randbytes(rng.choice([0, 1, 4, 8, 12, rng.randrange(80)]))
        declared = len(value) if rng.random() < 0.85 else rng.randrange(65536)
        attrs += struct.pack("!HH", kind, declared) + value + b"\x00" * (-len(value) % 4)
    length = len(attrs) if rng.random() < 0.85 else rng.randrange(65536)
    data = struct.pack("!HHI", msg_type, length, STUN_COOKIE) + tid + attrs
    if rng.random() < 0.4:  # a correct FINGERPRINT, so the message gets past that check
        with_fp = data[:2] + struct.pack("!H", len(attrs) + 8) + data[4:]
        crc = (zlib.crc32(with_fp) ^ 0x5354554E) & 0xFFFFFFFF
        data = with_fp + struct.pack("!HHI", 0x8028, 4, crc)
    return data


def _dtls(rng: random.Random, know: Knowledge) -> bytes:
    content = rng.choice([20, 21, 22, 23, 24, 25, rng.randrange(20, 64)])
    version = rng.choice([b"\xfe\xfd", b"\xfe\xff", b"\x03\x03", rng.randbytes(2)])
    epoch = rng.choice([0, 1, 2, 65535])
    records = b""
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if content == 22:  # a handshake message: ClientHello, HelloVerifyRequest, Finished... with odd lengths
            body = bytes([rng.choice([1, 2, 3, 11, 12, 14, 16, 20, rng.randrange(256)])])
            frag = rng.randbytes(rng.randrange(200))
            body += (len(frag) if rng.random() < 0.8 else rng.randrange(1 << 24)).to_bytes(3, "big")
            body += struct.pack("!H", rng.randrange(8)) + b"\x00\x00\x00" + len(frag).to_bytes(3, "big") + frag
        elif content == 21:  # alert: close_notify, fatal ones
            body = bytes([rng.choice([1, 2]), rng.choice([0, 10, 20, 40, 42, 80, 90, 255])])
        else:
            body = rng.randbytes(rng.randrange(300))
        length = len(body) if rng.random() < 0.85 else rng.randrange(65536)
        records += bytes([content]) + version + struct.pack("!H", epoch) + rng.randbytes(6) + \
            struct.pack("!H", length) + body
    return records


def _rtp(rng: random.Random, know: Knowledge) -> bytes:
    csrc = rng.choice([0, 0, 1, 15])
    ext = rng.random() < 0.3
    first = 0x80 | (0x20 if rng.random() < 0.2 else 0) | (0x10 if ext else 0) | csrc
    second = (0x80 if rng.random() < 0.3 else 0) | rng.choice([96, 97, 111, 100, 0, 127, rng.randrange(128)])
    ssrc = rng.choice(know.ssrcs) if know.ssrcs and rng.random() < 0.7 else rng.randrange(1 << 32)
    data = struct.pack("!BBHII", first, second, rng.randrange(65536), rng.randrange(1 << 32), ssrc)
    data += rng.randbytes(4 * csrc if rng.random() < 0.8 else rng.randrange(8))
    if ext:
        words = rng.randrange(5)
        data += struct.pack("!HH", rng.choice([0xBEDE, 0x1000, rng.randrange(65536)]),
                            words if rng.random() < 0.8 else rng.randrange(65536)) + rng.randbytes(4 * words)
    return data + rng.randbytes(rng.choice([0, 1, 10, 100, 1000, rng.randrange(1200)]))


def _rtcp(rng: random.Random, know: Knowledge) -> bytes:
    out = b""
    for _ in range(rng.choice([1, 1, 2, 3])):
        count = rng.randrange(32)
        pt = rng.choice([200, 201, 202, 203, 204, 205, 206, 207, 192, 208])
        body = rng.randbytes(rng.choice([0, 4, 8, 20, 24, rng.randrange(200)]))
        if know.ssrcs and len(body) >= 4 and rng.random() < 0.6:
            body = struct.pack("!I", rng.choice(know.ssrcs)) + body[4:]
        words = len(body) // 4 if rng.random() < 0.8 else rng.randrange(65536)
        out += struct.pack("!BBH", 0x80 | (0x20 if rng.random() < 0.1 else 0) | count, pt, words) + body
    return out


def _random(rng: random.Random, know: Knowledge) -> bytes:
    return rng.randbytes(rng.choice([0, 0, 1, 2, 3, 4, 19, 20, 21, rng.randrange(1500), rng.randrange(65000)]))


SHAPES: dict[str, Callable[[random.Random, Knowledge], bytes]] = {
    "stun": _stun, "dtls": _dtls, "rtp": _rtp, "rtcp": _rtcp, "random": _random}


def mutate(rng: random.Random, data: bytes) -> bytes:
    """Flip bits, truncate, cut, splice or repeat bytes of a datagram."""
    buf = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4])):
        op = rng.randrange(5)
        if op == 0 and buf:
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            del buf[rng.randrange(len(buf) + 1):]
        elif op == 2 and buf:
            i = rng.randrange(len(buf))
            buf[i] = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256)])
        elif op == 3:
            i = rng.randrange(len(buf) + 1)
            buf[i:i] = rng.randbytes(rng.randrange(16))
        else:
            buf += bytes(buf[: rng.randrange(len(buf) + 1)])
    return bytes(buf[:65000])


def datagrams(rng: random.Random, count: int, know: Knowledge) -> Iterator[tuple[str, bytes]]:
    """`count` (shape, datagram): every shape in turn, half of them mutated."""
    names = list(SHAPES)
    for i in range(count):
        name = names[i % len(names)]
        data = SHAPES[name](rng, know)
        if name != "random" and rng.random() < 0.5:
            yield name + "+mutated", mutate(rng, data)
        else:
            yield name, data


def _loopback_target(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not ipaddress.ip_address(host.strip("[]")).is_loopback:
        raise argparse.ArgumentTypeError(f"{host} is not a loopback address: tests send only to loopback")
    return host.strip("[]"), int(port)


def main(argv: list[str] | None = None) -> int:
    """Fire the datagrams at the targets at a steady rate; print what was sent as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", type=_loopback_target, action="append", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rate", type=float, default=10_000.0, help="datagrams per second (all targets)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--ufrag", default="abcd")
    parser.add_argument("--ssrc", type=int, action="append", default=[])
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    know = Knowledge(args.ufrag, tuple(args.ssrc))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    shapes: Counter[str] = Counter()
    # Generated before the clock starts, so the sender's own CPU stays small while it fires; a long run cycles
    # through the pool with one more bit flipped each time round.
    pool = list(datagrams(rng, min(args.count, POOL), know))
    sent = dropped = answers = 0
    started = time.monotonic()
    for i in range(args.count):
        shape, data = pool[i % len(pool)]
        if i >= len(pool) and data:
            flipped = bytearray(data)
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            data = bytes(flipped)
        target = args.target[i % len(args.target)]
        try:
            sock.sendto(data, target)
            sent += 1
        except (BlockingIOError, OSError):  # a full send buffer, or EMSGSIZE: counted, the run goes on
            dropped += 1
        shapes[shape] += 1
        if i % 64 == 0:
            ahead = started + i / args.rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            try:  # drain the server's STUN error answers (proof the port is live) so our socket never fills
                while True:
                    sock.recv(65535)
                    answers += 1
            except (BlockingIOError, OSError):
                pass
    elapsed = time.monotonic() - started
    print(json.dumps({"sent": sent, "send_errors": dropped, "answers": answers, "seconds": round(elapsed, 2),
                      "shapes": dict(shapes), "pid": os.getpid()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
