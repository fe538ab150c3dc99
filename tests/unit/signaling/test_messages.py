"""Validation of client messages, including malformed and hostile input."""

import json

import pytest

from signaling import messages as m


def parse(obj, limit=65536):
    raw = obj if isinstance(obj, str | bytes) else json.dumps(obj)
    return m.parse_client_message(raw, limit)


def code_of(obj, limit=65536):
    with pytest.raises(m.ProtocolError) as exc:
        parse(obj, limit)
    assert exc.value.message  # every refusal carries a sentence
    return exc.value.code


def test_valid_messages_parse_to_their_types():
    assert isinstance(parse({"v": 1, "type": "join", "token": "t", "session_id": "s"}), m.Join)
    assert isinstance(parse({"type": "offer", "sdp": "v=0"}), m.Offer)
    assert parse({"type": "mute", "muted": True}).muted is True
    assert isinstance(parse({"type": "ice", "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host",
                             "sdpMid": "0", "sdpMLineIndex": 0}), m.IceCandidate)


@pytest.mark.parametrize("raw, code", [
    ("{not json", "malformed_json"),
    (b"\xff\xfe", "malformed_json"),
    ("[1, 2]", "malformed_message"),
    ('"hello"', "malformed_message"),
    ({"sdp": "x"}, "malformed_message"),
    ({"type": 5}, "malformed_message"),
    ({"type": "launch_missiles"}, "unknown_type"),
    ({"v": 2, "type": "ping"}, "unsupported_version"),
    ({"type": "offer"}, "invalid_message"),
    ({"type": "offer", "sdp": ""}, "invalid_message"),
    ({"type": "mute", "muted": "maybe"}, "invalid_message"),
    ({"type": "ping", "extra": 1}, "invalid_message"),
    ({"type": "ice", "candidate": "x", "sdpMLineIndex": -1}, "invalid_message"),
    ({"type": "join", "token": "", "session_id": "s"}, "invalid_message"),
])
def test_malformed_input_is_refused_with_a_code(raw, code):
    assert code_of(raw) == code


def test_size_limit_is_checked_before_parsing():
    big = {"type": "offer", "sdp": "a" * 5000}
    assert code_of(big, limit=1024) == "message_too_large"


def test_sdp_length_is_bounded_even_under_the_frame_limit():
    assert code_of({"type": "offer", "sdp": "a" * (m.MAX_SDP_CHARS + 1)}, limit=10**6) == "invalid_message"


def test_server_messages_serialise_with_version():
    out = json.loads(m.dump(m.ErrorMessage(code="x", message="y")))
    assert out == {"v": 1, "type": "error", "code": "x", "message": "y", "fatal": False, "retry_after_ms": None}


def test_fuzz_findings_lone_surrogate_and_long_echoes_are_refused_clearly():
    """Found by tests/unit/signaling/test_fuzz_signaling.py: a lone surrogate crashed the size check, and a
    version or key of any length was echoed back whole in the error."""
    for raw in ('{"type": "ping", "x": "\ud800"}', '{"type": "\\ud800"}', '{"type": "\ud800x"}'):
        with pytest.raises(m.ProtocolError) as info:
            m.parse_client_message(raw, 1000)
        m.ErrorMessage.model_validate_json(m.dump(info.value.to_message()))  # the reply serialises
    for raw in ('{"v": "' + "9" * 5000 + '", "type": "ping"}', '{"type": "ping", "' + "k" * 5000 + '": 1}'):
        with pytest.raises(m.ProtocolError) as info:
            m.parse_client_message(raw, 100_000)
        assert len(info.value.message) < 300 and info.value.message.endswith(".")
