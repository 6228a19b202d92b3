"""pyjit: an AArch64 JIT backend for CPython, in pure Python."""

__version__ = "0.1.0"
