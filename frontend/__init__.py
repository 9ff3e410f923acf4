"""Templates and static files of the participant client."""
