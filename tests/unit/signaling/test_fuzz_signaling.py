"""Issue 15 fuzzing, sans-I/O share: generated and mutated messages of every type through the parser and the
room state machine of a live call. Pass: only ProtocolError escapes the parser, with a code and a sentence;
the room never raises, every refusal is clear, and the sender can go on (a mute after it is accepted)."""

from __future__ import annotations

import json
import random
import time

from signaling import messages as m
from signaling import room as r
from tests import fuzzing

MAX_BYTES = 64 * 1024
ROOM_MESSAGES = (m.VideoRequest, m.VideoAccept, m.VideoDecline, m.VideoStarted, m.VideoStop, m.Mute, m.Bye,
                 m.ScanFailed)


def fresh_room() -> r.Room:
    room = r.Room("s1")
    room.handle(r.Joined("t1", "technician", "Tess"))  # a valid join first, for both sides
    room.handle(r.Joined("c1", "customer", "Carl"))
    return room


def assert_clear(code: str, message: str) -> None:
    assert code and code.replace("_", "").isalpha(), code
    assert message and message.endswith(".") and len(message) < 300, message


def test_mutated_messages_get_clear_errors_and_the_room_goes_on():
    rng = random.Random(fuzzing.SEED)
    n = fuzzing.count(20_000, 100_000)
    room, parsed, refused, room_rejects = fresh_room(), 0, 0, 0
    kinds: set[str] = set()
    started = time.process_time()
    for i, raw in enumerate(fuzzing.messages(rng, n, token="t" * 40, session_id="s1")):
        try:
            msg = m.parse_client_message(raw, MAX_BYTES)
        except m.ProtocolError as exc:
            refused += 1
            assert_clear(exc.code, exc.message)
            assert m.ErrorMessage.model_validate_json(m.dump(exc.to_message())).code == exc.code
            continue
        parsed += 1
        kinds.add(msg.type)
        if not isinstance(msg, ROOM_MESSAGES):
            continue
        sender = "t1" if i % 2 else "c1"
        for action in room.handle(r.Said(sender, msg)):
            if isinstance(action, r.Reject):
                room_rejects += 1
                assert_clear(action.code, action.message)
            elif isinstance(action, r.Send):
                m.dump(action.message)  # every message the room emits serialises
        if room.ended or sender not in room.participants:
            room = fresh_room()  # bye or end_session: the next message starts from a live call again
            continue
        after = room.handle(r.Said(sender, m.Mute(muted=False)))
        assert not any(isinstance(a, r.Reject) for a in after), (msg, after)
    assert parsed + refused == n
    assert kinds >= {"offer", "ice", "video_request", "video_accept", "video_decline", "video_started",
                     "video_stop", "mute", "share_finding", "scan_request", "scan_failed", "bye", "ping"}, kinds
    assert refused > n // 3 and room_rejects > 0, (refused, room_rejects)
    print(f"{n} messages ({parsed} parsed, {refused} refused, {room_rejects} room refusals) "
          f"in {time.process_time() - started:.1f} s CPU")


def test_join_mutations_are_refused_clearly():
    rng = random.Random(fuzzing.SEED + 1)
    join = fuzzing.valid_messages(rng, "t" * 40, "s1")[0]
    assert isinstance(m.parse_client_message(json.dumps(join), MAX_BYTES), m.Join)
    for _ in range(fuzzing.count(3_000, 20_000)):
        mutated = fuzzing._mutate_structure(rng, join)
        try:
            msg = m.parse_client_message(json.dumps(mutated), MAX_BYTES)
        except m.ProtocolError as exc:
            assert_clear(exc.code, exc.message)
        else:
            assert msg.type in {"join", "ping", "video_request", "video_accept", "video_decline", "video_stop",
                                "scan_request"} or isinstance(msg, m.Join), msg
