"""The exact-match cache levels, their keys and values, and single-flight."""
