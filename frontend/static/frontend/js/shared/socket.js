// The site's WebSockets, for pages and the game worker alike: JSON messages, and reconnects with backoff until the
// conversation is over (the server keeps the participant's place, seat or game meanwhile).

import { Backoff } from "./backoff.js";

/**
 * The URL of this site's socket at `path`: wss: under https:, so it works behind a TLS-terminating proxy.
 * @param {string} path
 */
export function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/**
 * @typedef {object} JsonSocketOptions
 * @property {string} url
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
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.backoff.reset();
      this.onOpen();
    };
    socket.onmessage = (event) => this.onMessage(JSON.parse(event.data));
    socket.onclose = (event) => {
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

  /** The conversation is over: close and never reconnect. */
  close() {
    this.closed = true;
    if (this.socket) this.socket.close();
  }
}
