"""The test harness shared by tests/ and bench/ (neither imports the other's helpers): server and service
launchers (servers.py), synthetic WebRTC peers (peers.py), signaling session clients (session_client.py), an
in-process server (inprocess.py), synthetic encoded media (synthetic_media.py) and the polling helper (polling.py).
Not part of the product: nothing under lensdesk/, calls/, web/ or the leaf packages imports it."""
