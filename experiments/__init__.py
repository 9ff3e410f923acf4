"""Experiment definitions, the participant flow, surveys, completion codes, admin and data export."""
