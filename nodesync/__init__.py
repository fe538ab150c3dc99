"""What keeps every node current with tables any node (or the CLI) appends to: the live code catalog with the
technicians' edits, and token revocations; one follow loop (catch up, act on announcements, poll as a fallback)."""
