"""End-to-end tests in real headless Chromium against a live Lexflow server."""
