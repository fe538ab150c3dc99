"""Multi-frame consensus: confirm consistent reads once, suppress misreads, keep the best frame."""

import numpy as np

from diagnostics.config import DiagnosticsConfig
from diagnostics.consensus import Consensus, is_confusion_variant, is_near_variant
from diagnostics.extract import CodeRead

FRAME = np.zeros((40, 60, 3), np.uint8)


def read(code: str, conf: float = 0.8, shape: str = "hex") -> CodeRead:
    return CodeRead(code, shape, "windows", conf, f"Error code: {code}", f"Error code: {code}\nmessage")


def frame(v: int) -> np.ndarray:
    return np.full((40, 60, 3), v, np.uint8)


def test_two_agreeing_reads_confirm_once():
    c = Consensus(DiagnosticsConfig())
    assert c.add([read("0x8007045D")], frame(1), 1.0) == []
    (done,) = c.add([read("0x8007045D", 0.9)], frame(2), 1.4)
    assert done.code == "0x8007045D" and done.frames_seen == 2
    assert c.add([read("0x8007045D")], frame(3), 1.8) == []  # never twice in a session
    assert c.add([read("0x8007045D")], frame(4), 100.0) == []


def test_best_frame_and_time_are_kept():
    c = Consensus(DiagnosticsConfig())
    c.add([read("E-204", 0.7, "prefixed")], frame(1), 2.0)
    c.add([read("E-204", 0.9, "prefixed")], frame(2), 2.3)
    assert c.add([read("E-204", 0.5, "prefixed")], frame(3), 2.6) == []  # already confirmed at 2.3


def test_best_frame_is_the_most_confident_one():
    c = Consensus(DiagnosticsConfig(confirm_reads=3))
    c.add([read("E-204", 0.7, "prefixed")], frame(1), 2.0)
    c.add([read("E-204", 0.9, "prefixed")], frame(2), 2.3)
    (done,) = c.add([read("E-204", 0.6, "prefixed")], frame(3), 2.6)
    assert done.frame_time == 2.3 and done.confidence == 0.9 and int(done.frame[0, 0, 0]) == 2


def test_single_very_confident_read_confirms_a_catalogued_code():
    c = Consensus(DiagnosticsConfig(single_read_confidence=0.95), frozenset({"0x80070005"}))
    (done,) = c.add([read("0x80070005", 0.97)], FRAME, 0.5)
    assert done.code == "0x80070005"


def test_an_uncatalogued_code_needs_agreeing_frames_even_when_read_surely():
    c = Consensus(DiagnosticsConfig(single_read_confidence=0.95))
    assert c.add([read("0x80070006", 0.99)], FRAME, 0.5) == []
    assert [d.code for d in c.add([read("0x80070006", 0.99)], FRAME, 0.9)] == ["0x80070006"]


def test_uncatalogued_extra_reads_asks_more_frames_of_an_uncatalogued_code_only():
    c = Consensus(DiagnosticsConfig(uncatalogued_extra_reads=1), frozenset({"0x80070005"}))
    assert c.add([read("0xC000021A"), read("0x80070005")], FRAME, 0.0) == []
    assert [d.code for d in c.add([read("0xC000021A"), read("0x80070005")], FRAME, 0.4)] == ["0x80070005"]
    assert [d.code for d in c.add([read("0xC000021A")], FRAME, 0.8)] == ["0xC000021A"]


def test_misreads_under_the_confusion_skeleton_vote_for_the_majority_spelling():
    c = Consensus(DiagnosticsConfig(confirm_reads=3))
    assert c.add([read("SC990-01", 0.7, "prefixed")], FRAME, 0.0) == []
    assert c.add([read("5C99O-01", 0.7, "prefixed")], FRAME, 0.3) == []
    assert c.add([read("SC990-01", 0.7, "prefixed")], FRAME, 0.6) == []
    assert c.add([read("SC990.01", 0.7, "prefixed")], FRAME, 0.9) == []
    (done,) = c.add([read("SC990-01", 0.7, "prefixed")], FRAME, 1.2)
    assert done.code == "SC990-01"
    # The rival spellings were misreads of it: they do not come back as a second code.
    assert c.add([read("5C99O-01", 0.7, "prefixed")] * 1, FRAME, 1.5) == []
    assert c.add([read("SC990.01", 0.7, "prefixed")], FRAME, 1.8) == []


def test_low_confidence_reads_are_ignored():
    c = Consensus(DiagnosticsConfig(min_read_confidence=0.5, min_long_read_confidence=0.2))
    for t in range(5):
        assert c.add([read("E5", 0.4, "prefixed")], FRAME, float(t)) == []  # short: needs 0.5
        assert c.add([read("0x80070005", 0.1)], FRAME, float(t)) == []  # long: needs 0.2
    assert [d.code for d in c.add([read("0x80070005", 0.3)], FRAME, 5.0)] == []
    assert [d.code for d in c.add([read("0x80070005", 0.3)], FRAME, 5.3)] == ["0x80070005"]


def test_weak_reads_of_a_catalogued_short_code_add_up_to_their_share():
    cfg = DiagnosticsConfig(min_read_confidence=0.45, min_weak_read_confidence=0.1)
    c = Consensus(cfg, known_codes=frozenset({"E:46"}))
    assert c.add([read("E:46", 0.43, "prefixed")], FRAME, 1.0) == []
    assert c.add([read("E:46", 0.05, "prefixed")], FRAME, 1.3) == []  # below the weak floor: not counted
    assert c.add([read("E:46", 0.43, "prefixed")], FRAME, 1.6) == []  # two reads, but only 0.86 of 0.9
    (done,) = c.add([read("E:46", 0.14, "prefixed")], FRAME, 1.9)
    assert done.code == "E:46" and done.confidence == 0.43 and done.frames_seen == 3


def test_weak_reads_of_an_unknown_short_code_never_confirm():
    c = Consensus(DiagnosticsConfig(min_read_confidence=0.45), known_codes=frozenset({"E-000"}))
    for t in range(6):
        assert c.add([read("E-666", 0.4, "prefixed")], FRAME, t / 3) == []


def test_a_weak_read_asks_for_another_look():
    c = Consensus(DiagnosticsConfig(min_read_confidence=0.45, confirm_window_s=8.0))
    assert not c.pending(0.0)
    c.add([read("E5", 0.2, "prefixed")], FRAME, 1.0)
    assert c.pending(1.4) and not c.pending(9.5)


def test_one_clear_read_of_a_long_catalogued_code_and_a_misread_of_it_confirm():
    c = Consensus(DiagnosticsConfig(), known_codes=frozenset({"0x8024402C"}))
    assert c.add([read("0x80244026", 0.44)], FRAME, 2.2) == []
    (done,) = c.add([read("0x8024402C", 0.85)], FRAME, 2.6)
    assert done.code == "0x8024402C"


def test_one_unclear_read_of_a_catalogued_code_and_a_misread_do_not():
    c = Consensus(DiagnosticsConfig(), known_codes=frozenset({"0x8024402C"}))
    assert c.add([read("0x80244026", 0.44)], FRAME, 2.2) == []
    assert c.add([read("0x8024402C", 0.6)], FRAME, 2.6) == []


def test_two_reads_of_a_confusable_spelling_of_a_catalogued_code_are_not_enough():
    c = Consensus(DiagnosticsConfig(), known_codes=frozenset({"E-000"}))
    assert c.add([read("E-668", 0.85, "prefixed")], FRAME, 0.6) == []
    assert c.add([read("E-668", 0.85, "prefixed")], FRAME, 1.0) == []


def test_weak_misreads_back_one_clear_read_of_a_catalogued_short_code():
    c = Consensus(DiagnosticsConfig(), known_codes=frozenset({"E-000"}))
    for t in (0.6, 1.0, 1.4):
        assert c.add([read("E-009", 0.3, "prefixed")], FRAME, t) == []
    (done,) = c.add([read("E-000", 0.85, "prefixed")], FRAME, 1.8)
    assert done.code == "E-000"


def test_weak_reads_of_an_uncatalogued_short_code_do_not_confirm_it():
    c = Consensus(DiagnosticsConfig(min_read_confidence=0.45))
    for t in (0.6, 1.0, 1.4, 1.8):
        assert c.add([read("E-123", 0.3, "prefixed")], FRAME, t) == []


def test_reads_outside_the_window_do_not_add_up():
    c = Consensus(DiagnosticsConfig(confirm_window_s=2.0))
    assert c.add([read("SC542", shape="prefixed")], FRAME, 0.0) == []
    assert c.add([read("SC542", shape="prefixed")], FRAME, 5.0) == []
    assert [d.code for d in c.add([read("SC542", shape="prefixed")], FRAME, 6.0)] == ["SC542"]


def test_misread_of_confirmed_code_is_suppressed():
    c = Consensus(DiagnosticsConfig())
    c.add([read("0x8007045D")], FRAME, 1.0)
    c.add([read("0x8007045D")], FRAME, 1.3)
    for t in (1.6, 1.9, 2.2):
        assert c.add([read("0x8907045D")], FRAME, t) == []  # the reported "@x8907045D" class


def test_majority_wins_among_near_variants():
    c = Consensus(DiagnosticsConfig(confirm_reads=2), known_codes=frozenset({"E-000"}))
    c.add([read("E-000", shape="prefixed")], FRAME, 0.8)
    c.add([read("E-900", shape="prefixed")], FRAME, 1.2)
    # E-900 is one glyph from a catalogued code, so two or three reads are not enough for it...
    assert c.add([read("E-900", shape="prefixed")], FRAME, 1.6) == []
    assert c.add([read("E-900", shape="prefixed")], FRAME, 1.8) == []
    # ...and the catalogued reading confirms as soon as it agrees again.
    assert [d.code for d in c.add([read("E-000", shape="prefixed")], FRAME, 2.0)] == ["E-000"]
    assert c.add([read("E-900", shape="prefixed")], FRAME, 2.4) == []


def test_different_codes_are_independent():
    c = Consensus(DiagnosticsConfig())
    c.add([read("E-204", shape="prefixed"), read("SC542", shape="prefixed")], FRAME, 0.0)
    done = c.add([read("E-204", shape="prefixed"), read("SC542", shape="prefixed")], FRAME, 0.4)
    assert sorted(d.code for d in done) == ["E-204", "SC542"]
    assert c.confirmed_codes == {"E-204", "SC542"}


def test_near_variant():
    assert is_near_variant("E-000", "E-900")
    assert not is_near_variant("E-000", "E-000")
    assert not is_near_variant("E5", "E04")
    assert is_near_variant("E21", "E2") and is_near_variant("E2", "E21")  # a dropped glyph
    assert not is_near_variant("E21", "E1-")
    assert not is_near_variant("E-204", "E-999")


def test_misreads_of_a_catalogued_code_back_its_own_read():
    # OCR keeps reading the C of 49.4C02 as 0 or the 2 as 7: the screen is read often, the right spelling rarely.
    c = Consensus(DiagnosticsConfig(), known_codes=frozenset({"49.4C02"}))
    assert c.add([read("49.4002", shape="dotted")], FRAME, 0.6) == []
    assert c.add([read("49.4007", shape="dotted")], FRAME, 1.0) == []
    (done,) = c.add([read("49.4C02", shape="dotted")], FRAME, 1.4)
    assert done.code == "49.4C02"
    for t in (1.8, 2.2, 2.6, 3.0, 3.4):  # later misreads, one or two glyphs off, are not new codes
        assert c.add([read("49.4002", shape="dotted"), read("49.4007", shape="dotted")], FRAME, t) == []


def test_misreads_alone_never_confirm_the_catalogued_code():
    c = Consensus(DiagnosticsConfig(), known_codes=frozenset({"49.4C02"}))
    for t in (0.6, 1.0, 1.4):
        assert c.add([read("49.4002", shape="dotted")], FRAME, t) == []
    assert "49.4C02" not in c.confirmed_codes


def test_a_misread_reaching_its_count_yields_to_the_catalogued_reading():
    c = Consensus(DiagnosticsConfig(), known_codes=frozenset({"49.4C02"}))
    assert c.add([read("49.4C02", shape="dotted")], FRAME, 0.2) == []
    confirmed = [d.code for t in (0.6, 1.0, 1.4, 1.8) for d in c.add([read("49.4002", shape="dotted")], FRAME, t)]
    assert confirmed == ["49.4C02"]


def test_a_known_code_far_from_the_misreads_is_not_backed_by_them():
    c = Consensus(DiagnosticsConfig(), known_codes=frozenset({"49.4C02", "79.04"}))
    c.add([read("49.4002", shape="dotted")], FRAME, 0.6)
    c.add([read("49.4007", shape="dotted")], FRAME, 1.0)
    assert c.add([read("79.04", shape="dotted")], FRAME, 1.4) == []


def test_confusion_variants():
    assert is_confusion_variant("13.26.66", "13.20.00")  # 0 read as 6 three times
    assert is_confusion_variant("SC998-81", "SC990-01")
    assert is_confusion_variant("E-668", "E-000")  # barred zeros: only the E agrees
    assert not is_confusion_variant("13.20.00", "13.20.00")
    assert not is_confusion_variant("E-204", "E-254")  # 0 and 5 are not a confused pair
    assert not is_confusion_variant("13.20.00", "13.20.0")  # a different layout
    assert not is_confusion_variant("08", "80")  # nothing agrees but the layout


def test_confusion_variants_of_a_reported_code_are_not_new_codes():
    c = Consensus(DiagnosticsConfig(), known_codes=frozenset({"13.20.00"}))
    c.add([read("13.20.00", shape="dotted")], FRAME, 1.0)
    assert [d.code for d in c.add([read("13.20.00", shape="dotted")], FRAME, 1.4)] == ["13.20.00"]
    for t in (1.8, 2.2, 2.6, 3.0):
        assert c.add([read("13.26.66", shape="dotted")], FRAME, t) == []


def test_a_confusion_variant_of_a_catalogued_code_needs_more_reads():
    c = Consensus(DiagnosticsConfig(), known_codes=frozenset({"SC990-01"}))
    assert [d.code for t in (0.6, 1.0, 1.4) for d in c.add([read("SC338-81", shape="prefixed")], FRAME, t)] == []


def test_weak_reads_of_an_uncatalogued_number_group_never_confirm():
    # 024-371 is seven characters, but a grouped number read weakly twice may be two misreads of anything.
    c = Consensus(DiagnosticsConfig(min_read_confidence=0.45, min_long_read_confidence=0.15))
    for t in range(6):
        assert c.add([read("024-371", 0.3, "grouped")], FRAME, t / 3) == []
    assert [d.code for d in c.add([read("024-371", 0.6, "grouped")], FRAME, 2.1)] == []
    assert [d.code for d in c.add([read("024-371", 0.6, "grouped")], FRAME, 2.4)] == ["024-371"]


def test_weak_reads_of_a_long_specific_code_add_up():
    c = Consensus(DiagnosticsConfig(min_read_confidence=0.45, min_long_read_confidence=0.15))
    assert c.add([read("E000007-0001", 0.3, "prefixed")], FRAME, 0.0) == []
    assert [d.code for d in c.add([read("E000007-0001", 0.3, "prefixed")], FRAME, 0.4)] == ["E000007-0001"]


def test_misreads_of_each_other_confirm_one_uncatalogued_code():
    c = Consensus(DiagnosticsConfig())
    confirmed = []
    for t in (0.0, 0.4, 0.8, 1.2, 1.6, 2.0):
        confirmed += [d.code for d in c.add([read("U4-01", 0.8, "prefixed"), read("U4-07", 0.7, "prefixed")],
                                            FRAME, t)]
    assert confirmed == ["U4-01"]  # the rival spelling of the same screen is a misread, not a second code


def _strong(code: str, conf: float = 0.95, evidence: float = 2.0, repairs: int = 0, introduced: bool = True,
            shape: str = "prefixed") -> CodeRead:
    return CodeRead(code, shape, None, conf, f"Error code: {code}", f"Error code: {code}", True, code, evidence,
                    repairs, introduced)


def test_one_strong_read_confirms_an_uncatalogued_code():
    # right after a caption, nothing repaired, read surely, far above the threshold: a short clip need not show it twice
    (done,) = Consensus(DiagnosticsConfig()).add([_strong("KX-4471")], frame(1), 1.0)
    assert done.code == "KX-4471" and done.frames_seen == 1


def test_a_weak_read_of_an_uncatalogued_code_needs_a_second_frame():
    for weak in (_strong("KX-4471", repairs=1), _strong("KX-4471", introduced=False), _strong("KX-4471", conf=0.8),
                 _strong("KX-4471", evidence=1.3)):
        c = Consensus(DiagnosticsConfig())
        assert c.add([weak], frame(1), 1.0) == []
        (done,) = c.add([weak], frame(2), 1.4)
        assert done.code == "KX-4471"


def test_a_strong_read_near_a_catalogued_code_still_needs_more_frames():
    c = Consensus(DiagnosticsConfig(), frozenset({"KX-4477"}))
    assert c.add([_strong("KX-4471")], frame(1), 1.0) == []


def test_strong_reads_can_be_switched_off():
    c = Consensus(DiagnosticsConfig(strong_read_margin=9.0))
    assert c.add([_strong("KX-4471")], frame(1), 1.0) == []
