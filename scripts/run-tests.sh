#!/usr/bin/env bash
# The whole suite as two streams on the machine's two cores: the Chromium tests one after another (two browser
# pairs encoding video at once starve each other's frames), everything else beside them (mostly waiting on
# servers and timeouts). Fails if either stream fails; pytest arguments after the first go to both.
set -u
python=${1:-.venv/bin/python}
shift || true
browser_log=$(mktemp)
"$python" -m pytest -q -p no:cacheprovider --durations=10 -m e2e "$@" > "$browser_log" 2>&1 &
browser=$!
"$python" -m pytest -q -p no:cacheprovider --durations=25 -m "not e2e" "$@"
rest_status=$?
wait "$browser"
browser_status=$?
echo "---- browser tests (-m e2e) ----"
cat "$browser_log"
rm -f "$browser_log"
echo "suite: not-e2e exit $rest_status, e2e exit $browser_status"
[ "$rest_status" -eq 0 ] && [ "$browser_status" -eq 0 ]
