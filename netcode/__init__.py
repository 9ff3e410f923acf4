"""The rollback input relay and the server-side runner; the only app that touches Channels."""
