"""Participants and their flow: entry, consent, surveys, screening, monitoring, endings and completion codes."""
