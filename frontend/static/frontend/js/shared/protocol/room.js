// The waiting room's socket message types (matchmaking/protocol.py); tests/test_frontend_protocol.py checks that
// these are exactly the Python module's (its dotted channel-layer events stay on the server).

// client -> server
export const JOIN = "join";
export const PONG = "pong";
export const ACK = "ack";

// server -> client
export const PING = "ping";
export const WAITING_MESSAGE = "waiting";
export const CONFIRM = "confirm"; // a group formed: acknowledge to be matched
export const MATCHED_MESSAGE = "matched";
export const TIMEOUT = "timeout"; // the wait is over without a group; follow `next`
export const ERROR = "error";
export const SUPERSEDED = "superseded"; // the participant opened the room in another tab; this socket closes
