"""Bricks shipped with the demo applications."""
