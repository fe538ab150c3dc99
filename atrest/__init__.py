"""Encryption at rest of the media a node stores (recordings, segments, posters, snapshots)."""
