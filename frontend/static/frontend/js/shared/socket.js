// The site's WebSockets, for pages and the game worker alike: JSON messages, and reconnects with backoff until the
// conversation is over (the server keeps the participant's place, seat or game meanwhile).

import { Backoff } from "./backoff.js";
import { MOVED, WELCOME } from "./protocol/relay.js";

const FALLBACK_AFTER = 3; // failed connections to a game's host before any process is tried

/**
 * The URL of this site's socket at `path`: wss: under https:, so it works behind a TLS-terminating proxy.
 * @param {string} path
 */
export function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/**
 * Where a game's sockets connect: the process that hosts the game (`/x/<study>/w/<host>/ws/...`, which the reverse
 * proxy routes to it; inside the study's path, where the participant's cookie applies), or any process when the game
 * has no host or its host cannot be reached. The hello then names the host given up on (`down`); the process that
 * takes the game over tells the sockets still elsewhere to come (MOVED).
 */
export class HostRoute {
  /**
   * @param {string} path the socket's path on any process
   * @param {string} [host] the hosting process's name, from the "matched" message
   */
  constructor(path, host = "") {
    this.path = path;
    this.host = host;
    this.down = "";
    this.failures = 0;
  }

  url() {
    const routed = this.host && !this.down;
    return socketUrl(routed ? this.path.replace(/^(\/x\/[^/]+)\//, `$1/w/${this.host}/`) : this.path);
  }

  /** A connection opened. */
  opened() {
    this.failures = 0;
  }

  /** A connection closed before it opened: after a few in a row the host is given up on. */
  failed() {
    if (this.host && !this.down && ++this.failures >= FALLBACK_AFTER) this.down = this.host;
  }

  /** @param {string} host the game's host now (a welcome names the process that serves it) */
  moveTo(host) {
    this.host = host;
    this.down = "";
    this.failures = 0;
  }

  /** What a hello adds: the host this client could not reach. */
  hello() {
    return this.down ? { down: this.down } : {};
  }
}

/**
 * @typedef {object} JsonSocketOptions
 * @property {string | HostRoute} url a fixed URL, or a game's route (the socket follows MOVED messages itself)
 * @property {(message: any) => void} onMessage each message, parsed
 * @property {() => void} [onOpen] on every (re)connection, e.g. to say hello
 * @property {(event: CloseEvent) => boolean | void} [onDrop] the connection dropped; false: do not reconnect
 * @property {number} [first] the first reconnect delay (ms), doubled after each failed attempt
 * @property {number} [max] the longest reconnect delay (ms)
 */

export class JsonSocket {
  /** @param {JsonSocketOptions} options */
  constructor({ url, onMessage, onOpen = () => {}, onDrop = () => {}, first = 250, max = 4000 }) {
    this.url = url;
    this.route = url instanceof HostRoute ? url : null;
    this.onMessage = onMessage;
    this.onOpen = onOpen;
    this.onDrop = onDrop;
    this.backoff = new Backoff(first, max);
    /** @type {WebSocket | null} */
    this.socket = null;
    this.closed = false;
    this.reconnects = 0;
    this.bytesOut = 0;
  }

  connect() {
    const route = this.route;
    const socket = new WebSocket(route ? route.url() : String(this.url));
    let opened = false;
    this.socket = socket;
    socket.onopen = () => {
      opened = true;
      route?.opened();
      this.backoff.reset();
      this.onOpen();
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (route && message.type === MOVED && typeof message.host === "string") {
        route.moveTo(message.host);
        this.reconnect();
        return;
      }
      if (route && message.type === WELCOME && typeof message.host === "string") route.moveTo(message.host);
      this.onMessage(message);
    };
    socket.onclose = (event) => {
      if (!opened) route?.failed();
      if (this.closed || this.socket !== socket) return;
      if (this.onDrop(event) === false) {
        this.closed = true;
        return;
      }
      this.reconnects++;
      setTimeout(() => this.closed || this.connect(), this.backoff.next());
    };
    return this;
  }

  /**
   * Sends `message` as JSON if the socket is open; returns whether it was sent.
   * @param {object} message
   */
  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    const text = JSON.stringify(message);
    this.bytesOut += text.length;
    this.socket.send(text);
    return true;
  }

  /** Connect again now (to where the route says), leaving the current connection. */
  reconnect() {
    const old = this.socket;
    this.socket = null; // its close is then not a drop
    old?.close();
    if (this.closed) return;
    this.reconnects++;
    this.connect();
  }

  /** The conversation is over: close and never reconnect. */
  close() {
    this.closed = true;
    if (this.socket) this.socket.close();
  }
}
