"""Re-reading stored recordings and photos: decode a file into the diagnostics pipeline (`files.py`), attach what a
recording's ticket lacks (`attach.py`), and run that as jobs on rq over Redis or in-process (`jobs.py`)."""
