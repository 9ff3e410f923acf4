"""Game data and runtime files: episodes and their steps, uploads, verification, replay, the game page's files."""
