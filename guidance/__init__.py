"""Guidance for the customer's hands: the scene tracker that keeps marks on the device (pure numpy/OpenCV)."""
