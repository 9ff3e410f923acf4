"""The game relay's message types (client <-> server) and channel-layer events, defined once."""

# client -> server
HELLO = "hello"  # join or rejoin the game of the participant's match; {"loading": true}: the page holds the seat
# while its game loads (answered with a PLAYER message for its own seat, or the game's end; no welcome);
# {"down": host}: this client could not reach the game's host process and came to any (matchmaking/placement.py)
INPUT = "input"  # {"episode", "frame", "inputs": [[frame, action]...], "checksums": [[frame, hex]...], "resynced"}
# (resynced: how many of this episode's RESYNCs the browser has applied; older checksums are not compared)
# and, from the seat that drives the relayed AI agents (mug/relayed.py), "ai": [[agent, frame, action]...]
DONE = "done"  # {"episode", "frames", "checksum"}: this browser confirmed the episode's last frame
PRESENCE = "presence"  # {"hidden": bool}
PING = "ping"  # {"id"}: answered with PONG at once (the browser measures its round trip)
SYNC = "sync"  # {"episode", "after"}: stalled on a partner for a while, send me every input after this frame
READY = "ready"  # both ways: {"episode"}: this browser has reset the episode; the relay tells the others {"player",
# "episode"} (each episode's first frame waits for every seat's; WELCOME and INPUT_LOG carry "ready": {player: episode})
PROBE = "probe"  # both ways: the server sends {"id"} every 2 s; the browser answers at once with {"id", "stats"}
# (the server times the round trip itself; stats = the browser's own frame rate and rollbacks, for the live monitor)

# server -> client
WELCOME = "welcome"  # the game, the seat, the episode and every input of it so far ("host": this process, when
# the proxy routes by worker: where the client reconnects)
INPUTS = "inputs"  # {"player", "frame", "inputs", "ack"}: new inputs of one player, as the log took them (with the
# relayed AI agents' new moves it sent, "ai": [[agent, frame, action]...], and their acks, "ai_ack": {agent: frame})
INPUT_LOG = "input_log"  # {"episode", "inputs": [[player, frame, action]...], "states", "ready"}: the log after a
# frame and every seat's state and last episode reset (answers SYNC)
ACK = "ack"  # {"ack"}: the relay has all of this browser's inputs up to this frame ("ai_ack": its relayed agents')
PONG = "pong"
PLAYER = "player"  # {"player", "state": "here"|"hidden"|"away"|"loading"|"dropped"}: shown to the others
REPLACED = "replaced"  # {"player", "from_frame", "policy"}: a dropped participant's agent is played by a policy
EPISODE = "episode"  # {"episode", "seed"}: every seat confirmed the last one; play this one
FINISHED = "finished"  # every episode is done
END = "end"  # {"reason", "next"}: the game is over early (or over for this participant: a refused hello); follow `next`
DESYNC = "desync"  # {"frame"}: checksums disagree at this confirmed frame
RESYNC = "resync"  # {"player", "frame", "env", "resync", ...}: that player's browser loads the referee's state at
# frame; `resync` numbers it (the browser echoes the last it applied as `resynced`)
ERROR = "error"
SUPERSEDED = "superseded"  # the participant opened the game in another tab; this socket closes
MOVED = "moved"  # {"host"}: the game's sockets belong on that process (/x/<slug>/w/<host>/ws/...): go there

# channel-layer events
GROUP_EVENT = "game.event"  # a message for every seat's socket in the game
SUPERSEDE_EVENT = "game.supersede"


def group_name(game_id: int) -> str:
    return f"game-{game_id}"
