"""Synthetic device error screens and phone-camera capture, for benches and tests."""
