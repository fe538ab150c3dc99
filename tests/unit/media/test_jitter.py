"""RelayJitterBuffer: frames leave at their marker packet, never a frame's tail, audio without prefetch."""

from aiortc.rtp import RtpPacket

from media.aiortc_internals import set_payload
from media.jitter import RelayJitterBuffer


def pkt(seq: int, ts: int, marker: bool = False, data: bytes = b"") -> RtpPacket:
    p = RtpPacket(payload_type=96, marker=int(marker), sequence_number=seq, timestamp=ts)
    set_payload(p, data or f"{seq}|".encode())
    return p


def video() -> RelayJitterBuffer:
    return RelayJitterBuffer(capacity=128, is_video=True)


def test_frame_leaves_at_its_marker_once_the_start_is_known():
    jb = video()
    # first frame: the stock rule (next timestamp) decides, since its start is not known
    assert jb.add(pkt(1, 100))[1] is None
    assert jb.add(pkt(2, 100, marker=True))[1] is None
    first = jb.add(pkt(3, 200))[1]
    assert first is not None and first.timestamp == 100 and first.data == b"1|2|"
    # from now on a frame is complete at its marker, one frame interval earlier than aiortc's buffer
    assert jb.add(pkt(4, 200))[1] is None
    second = jb.add(pkt(5, 200, marker=True))[1]
    assert second is not None and second.timestamp == 200 and second.data == b"3|4|5|"
    third = jb.add(pkt(6, 300, marker=True))[1]
    assert third is not None and third.data == b"6|"


def test_reordered_packets_complete_the_frame_when_the_hole_fills():
    jb = video()
    jb.add(pkt(1, 100, marker=True))
    assert jb.add(pkt(2, 200))[1] is not None  # stock rule hands over frame 100
    assert jb.add(pkt(4, 200, marker=True))[1] is None  # 3 missing
    frame = jb.add(pkt(3, 200))[1]
    assert frame is not None and frame.data == b"2|3|4|"


def test_a_frame_tail_at_stream_start_is_not_sent_as_a_frame_by_its_marker():
    jb = video()
    # we joined mid-frame: packets 10..11 are the tail of frame 100 (its start was never received)
    assert jb.add(pkt(10, 100))[1] is None
    assert jb.add(pkt(11, 100, marker=True))[1] is None  # start unknown: not emitted at the marker


def test_audio_packets_leave_at_once_and_holes_are_given_up():
    jb = RelayJitterBuffer(capacity=16, prefetch=4)
    out = [jb.add(pkt(s, s * 960))[1] for s in (1, 2, 3)]
    assert [f.timestamp for f in out if f] == [960, 1920, 2880]
    assert jb.add(pkt(5, 5 * 960))[1] is None  # 4 is missing: wait a little for it
    assert jb.add(pkt(6, 6 * 960))[1] is None
    late = jb.add(pkt(7, 7 * 960))[1]  # three packets past the hole: skip 4
    assert late is not None and late.timestamp == 5 * 960
