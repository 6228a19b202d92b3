"""pyjit.measure: size reports, dynamic counts, statistics and plots."""
