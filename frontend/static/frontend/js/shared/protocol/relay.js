// The game relay's socket message types (netcode/protocol.py); tests/test_frontend_protocol.py checks that these
// are exactly the Python module's. The fields of each message are described there.

// client -> server
export const HELLO = "hello";
export const INPUT = "input";
export const DONE = "done";
export const PRESENCE = "presence";
export const PING = "ping";
export const SYNC = "sync";
export const READY = "ready"; // both ways: a browser has reset the episode (the others' start barrier counts it)
export const PROBE = "probe"; // both ways: the server's probe, answered at once with this browser's stats

// server -> client
export const WELCOME = "welcome";
export const INPUTS = "inputs";
export const INPUT_LOG = "input_log";
export const ACK = "ack";
export const PONG = "pong";
export const PLAYER = "player";
export const REPLACED = "replaced";
export const EPISODE = "episode";
export const FINISHED = "finished";
export const END = "end";
export const DESYNC = "desync";
export const RESYNC = "resync";
export const ERROR = "error";
export const SUPERSEDED = "superseded";
export const MOVED = "moved"; // {host}: the game's sockets belong on that process: reconnect there
