#!/usr/bin/env bash
# The whole suite in two phases (make test):
#  1. everything but the timing tests on two pytest-xdist workers; the browser tests share one worker, in sequence,
#     and every other module stays whole on its worker (tests/conftest.py assigns the groups);
#  2. the tests marked `serial` (frame rates, within-a-second deliveries) alone, with the machine to themselves.
# Each phase has its own bound, so a process that hangs after its summary fails here in minutes, not at CI's limit.
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python
started=$(date +%s)
timeout -s INT --kill-after=60 1200 "$PY" -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup -m "not serial" \
    --durations=25 "$@"
parallel=$?
# Only the files that hold serial tests are collected again (collecting all ~2,300 tests costs ~14 s of CPU).
if [ "$#" -eq 0 ]; then
    mapfile -t serial_files < <(grep -rlE "mark\.serial" tests --include='test_*.py' | sort)
    set -- "${serial_files[@]}"
fi
timeout -s INT --kill-after=60 600 "$PY" -m pytest -q -p no:cacheprovider -m serial --durations=10 "$@"
serial=$?
echo "make test: parallel phase exit $parallel, serial phase exit $serial, $(( $(date +%s) - started )) s in all"
[ "$parallel" -eq 0 ] && [ "$serial" -eq 0 ]
