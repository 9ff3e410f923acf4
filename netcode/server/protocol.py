"""Message types of server-side games (browser <-> server, consumer <-> host) and their group names, once."""

from netcode.protocol import ERROR as ERROR  # re-exported: both game protocols share these names
from netcode.protocol import HELLO as HELLO
from netcode.protocol import MOVED as MOVED
from netcode.protocol import PING as PING
from netcode.protocol import PROBE as PROBE

# client -> server
# HELLO {"scene_key"}: join (or rejoin) this participant's server-side game (the relay's names: one socket base)
INPUT = "input"  # {"frame", "held", "presses", "id"}: the keys as of the last frame this browser drew
PRESENCE = "presence"  # {"hidden": bool}
# PING {"id"}: answered with PONG at once
# PROBE {"id", "stats"}: the answer to the server's PROBE (the server times the round trip; netcode/protocol.py)
REPAINT = "repaint"  # frames were missed (a full channel drops them): send a full repaint (a WELCOME)

# server -> client
# "hud" in welcome, started and frame: {seat: its HUD line}; each page shows its own seat's.
WELCOME = "welcome"  # {"seat", "players", "episode", "frame", "render" (a full repaint), "hud", "assets"}
STARTED = "started"  # {"episode", "seed", "countdown_s", "render", "hud"}: an episode begins after the countdown
FRAME = "frame"  # {"episode", "frame", "render" (a delta), "hud", "over", "seen": {seat: last input id applied}}
PLAYER = "player"  # {"player", "state": "here"|"hidden"|"away"|"replaced"}
PAUSED = "paused"  # {"paused": bool, "waiting": [players]}: the game waits for someone to come back
FINISHED = "finished"  # {"next"}: every episode was played and stored
END = "end"  # {"reason", "next"}: the game ended early (a partner dropped out, the env crashed)
PONG = "pong"
BUSY = "busy"  # no game process slot is free on the server: the page says so; "welcome" or "started" follow by
# themselves once one frees (or "end" with reason "timed_out" after MUG_SERVER_GAME_WAIT_S)
# ERROR {"message"}: a refusal (the relay's name, sent by netcode/seatsocket.py)
SUPERSEDED = "superseded"
# MOVED {"host"}: reconnect to that process (the relay's name)

# channel-layer events
GROUP_EVENT = "sgame.event"  # a message for every seat's socket
GROUP_TEXT = "sgame.text"  # {"text"}: a frame, already encoded as JSON by the game's process
HOST_CHANGED = "sgame.host"  # {"host"}: the channel of the process stepping the game now
SUPERSEDE_EVENT = "sgame.supersede"
HOST_INPUT = "host.input"  # consumer -> host: {"agent", "input"}
HOST_JOIN = "host.join"  # consumer -> host: {"agent", "reply"}: send this socket a welcome
HOST_PRESENCE = "host.presence"  # consumer -> host: {"agent", "state"}
HOST_DROPPED = "host.dropped"  # staff -> host: {"agent", "messages"}: the seat was dropped in the database


def group_name(game_id: int) -> str:
    return f"sgame-{game_id}"
