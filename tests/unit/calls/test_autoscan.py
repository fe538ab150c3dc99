"""The automatic scan trigger: throttled, never while a scan runs, only for codes that stay unconfirmed."""

from calls.autoscan import AutoScanPolicy


def test_asks_once_a_code_stayed_unconfirmed_then_waits_the_interval():
    policy = AutoScanPolicy(interval_s=15.0, pending_for_s=2.0)
    assert not policy.observe(True, 100.0, scan_running=False)  # just seen: the video may still confirm it
    assert not policy.observe(True, 101.9, scan_running=False)
    assert policy.observe(True, 102.0, scan_running=False)
    assert not policy.observe(True, 102.3, scan_running=False)
    assert not policy.observe(True, 116.9, scan_running=False)  # at most one per 15 s
    assert policy.observe(True, 117.0, scan_running=False)


def test_a_confirmed_or_vanished_code_resets_the_wait():
    policy = AutoScanPolicy(interval_s=15.0, pending_for_s=2.0)
    policy.observe(True, 0.0, scan_running=False)
    assert not policy.observe(False, 1.5, scan_running=False)
    assert not policy.observe(True, 2.5, scan_running=False)  # pending again from 2.5 s
    assert policy.observe(True, 4.5, scan_running=False)


def test_none_while_a_scan_runs_and_a_technician_scan_restarts_the_interval():
    policy = AutoScanPolicy(interval_s=15.0, pending_for_s=0.0)
    assert not policy.observe(True, 10.0, scan_running=True)
    policy.scan_started(10.0)  # the technician pressed Scan
    assert not policy.observe(True, 20.0, scan_running=False)
    assert policy.observe(True, 25.0, scan_running=False)


def test_interval_zero_never_asks():
    policy = AutoScanPolicy(interval_s=0.0, pending_for_s=0.0)
    assert not any(policy.observe(True, float(t), scan_running=False) for t in range(100))
