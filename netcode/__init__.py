"""Games: the rollback relay (inputs, seats, presence, the event log) and server-side games (netcode.server)."""
