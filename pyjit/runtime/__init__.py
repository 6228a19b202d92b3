"""pyjit.runtime (built by later stages)."""
