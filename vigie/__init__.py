"""Vigie: a real-time situation-room dashboard for election incidents."""

__version__ = "0.1.0"
