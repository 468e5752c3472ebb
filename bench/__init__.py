"""Benchmarks for Lexflow (not tests: they print figures, they do not assert on timing)."""
