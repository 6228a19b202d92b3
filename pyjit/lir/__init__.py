"""pyjit.lir (built by later stages)."""
