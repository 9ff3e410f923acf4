// The game worker's link to the relay: one WebSocket, hello/welcome, this browser's un-acknowledged inputs every
// tick, the news in between (others' inputs, acks, players, replacements, episodes), pings for the round trip,
// answers to the server's probes (it times the round trip itself; the answer carries this browser's frame rate
// and rollbacks for the live monitor), and reconnects with backoff (the relay resends the episode's inputs).

const PING_EVERY_MS = 1000;
const SYNC_AFTER_MS = 1000; // stalled this long on a partner: ask the relay for the inputs this browser lacks

export class NetClient {
  constructor({ url, sceneKey, onMessage }) {
    this.url = url;
    this.sceneKey = sceneKey;
    this.onMessage = onMessage; // messages the game acts on (welcome, episode, finished, end, player, ...)
    this.statsOf = () => ({}); // what a probe's answer reports (set by the game loop)
    this.socket = null;
    this.closed = false;
    this.delay = 250;
    this.rttMs = 0;
    this.pings = new Map();
    this.pingId = 0;
    this.reconnects = 0;
    this.episode = null;
    this.bytesOut = 0;
    this.resetNews();
  }

  resetNews() {
    this.news = { inputs: [], replaced: [], ack: -1, remote_frames: {}, resync: null, resend: false };
  }

  connect() {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.delay = 250;
      this.send({ type: "hello", scene_key: this.sceneKey });
    };
    socket.onmessage = (event) => this.#receive(JSON.parse(event.data));
    socket.onclose = () => {
      if (this.closed || this.socket !== socket) return;
      this.reconnects++;
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 4000);
    };
    if (!this.pinger) this.pinger = setInterval(() => this.#ping(), PING_EVERY_MS);
  }

  close() {
    this.closed = true;
    clearInterval(this.pinger);
    if (this.socket) this.socket.close();
  }

  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    const text = JSON.stringify(message);
    this.bytesOut += text.length;
    this.socket.send(text);
    return true;
  }

  /** Stalled on a partner for a while: ask the relay for the log after `confirmed` (a forwarded message may have
   * been lost; asked at most once a second). */
  askForMissing(confirmed, stalled) {
    const now = performance.now();
    if (!stalled) {
      this.stalledSince = null;
      return;
    }
    this.stalledSince ??= now;
    if (now - this.stalledSince < SYNC_AFTER_MS || now - (this.syncedAt || 0) < SYNC_AFTER_MS) return;
    this.syncedAt = now;
    this.send({ type: "sync", episode: this.episode, after: confirmed });
  }

  /** What arrived since the last tick, in the form the Python session takes. */
  drain() {
    const news = { ...this.news, rtt_ms: this.rttMs };
    const { ack, remote_frames } = this.news;
    this.news = { inputs: [], replaced: [], ack, remote_frames, resync: null, resend: false };
    return news;
  }

  #ping() {
    const id = ++this.pingId;
    this.pings.set(id, performance.now());
    if (this.pings.size > 10) this.pings.delete(this.pings.keys().next().value);
    this.send({ type: "ping", id });
  }

  #receive(message) {
    const news = this.news;
    if ((message.type === "inputs" || message.type === "ack") && message.episode !== this.episode) return; // stale
    if (message.type === "inputs") {
      for (const [frame, action] of message.inputs) news.inputs.push([message.player, frame, action]);
      if (typeof message.frame === "number") news.remote_frames[message.player] = message.frame;
      return;
    }
    if (message.type === "ack") {
      news.ack = Math.max(news.ack, message.ack);
      return;
    }
    if (message.type === "input_log") {
      if (message.episode === this.episode) news.inputs.push(...message.inputs); // known ones are ignored
      return;
    }
    if (message.type === "probe") {
      this.send({ type: "probe", id: message.id, stats: this.statsOf() });
      return;
    }
    if (message.type === "pong") {
      const sent = this.pings.get(message.id);
      if (sent !== undefined) this.rttMs = this.rttMs ? 0.8 * this.rttMs + 0.2 * (performance.now() - sent) : performance.now() - sent;
      return;
    }
    if (message.type === "welcome") {
      if (message.episode !== this.episode) this.resetNews();
      this.episode = message.episode;
      this.news.inputs.push(...message.inputs);
      this.news.replaced.push(...message.replaced);
      this.news.ack = Math.max(this.news.ack, message.ack);
      this.news.resend = true; // a new socket: whatever the relay has not acknowledged goes again
    } else if (message.type === "resync" && message.episode === this.episode) {
      this.news.resync = message; // the referee's state: this browser had diverged (the relay sends it to us only)
    } else if (message.type === "replaced") {
      news.replaced.push([message.player, message.from_frame, message.policy]);
    } else if (message.type === "episode") {
      this.episode = message.episode;
      this.resetNews();
    }
    this.onMessage(message);
  }
}
