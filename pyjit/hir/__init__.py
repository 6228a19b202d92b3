"""pyjit.hir (built by later stages)."""
