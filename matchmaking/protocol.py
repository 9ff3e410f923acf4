"""The waiting room's message types (client <-> server) and channel-layer event names, defined once."""

# client -> server
JOIN = "join"
PONG = "pong"
ACK = "ack"

# server -> client
PING = "ping"
WAITING_MESSAGE = "waiting"
CONFIRM = "confirm"  # a group formed: acknowledge to be matched
MATCHED_MESSAGE = "matched"  # {"match", "seat", "seed", "size"} and "host": the process its game's sockets go to
TIMEOUT = "timeout"  # the wait is over without a group; follow `next`
ERROR = "error"
SUPERSEDED = "superseded"  # the participant opened the room in another tab; this socket closes

# channel-layer events (handled by the consumer serving an entry)
REFRESH_EVENT = "room.refresh"  # state changed in the database: re-read it and tell the client
SUPERSEDE_EVENT = "room.supersede"
