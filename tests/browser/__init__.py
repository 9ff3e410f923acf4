"""Real-browser tests: Chromium via Playwright against the live Django server (marked `browser`)."""
