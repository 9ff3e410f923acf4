// Server-side games' socket message types (servergame/protocol.py); tests/test_frontend_protocol.py checks that
// these are exactly the Python module's. Like there, a few names are the relay's own.

export { ERROR, HELLO, MOVED, PING, PROBE } from "./relay.js";

// client -> server
export const INPUT = "input";
export const PRESENCE = "presence";
export const REPAINT = "repaint"; // frames were missed: the server answers with a full repaint (a WELCOME)

// server -> client
export const WELCOME = "welcome";
export const STARTED = "started";
export const FRAME = "frame";
export const PLAYER = "player";
export const PAUSED = "paused";
export const FINISHED = "finished";
export const END = "end";
export const PONG = "pong";
export const BUSY = "busy"; // no game process is free yet: WELCOME or STARTED follow by themselves
export const SUPERSEDED = "superseded";
