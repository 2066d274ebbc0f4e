"""The distribution's version (read by hatch from this file)."""

__version__ = "0.2.0"
