"""Building blocks of the session recorder (see media/recorder.py for the public API)."""
