// The page side of a group game: draws what the worker's net session shows, uploads its confirmed rows, counts
// down each episode, shows who is lagging, and resolves when the server says the game is over.

const $ = (id) => document.getElementById(id);

function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/** Resolves with {finished: true}, {next: url} (the game ended early) or {superseded: true}. */
export function playNetGame({ config, worker, renderer, uploader, runtime, countdown }) {
  const net = { frames: 0, rows: 0, episodes: [], states: {}, lagShown: [], desyncs: [], replaced: [], stats: null,
                replays: [], tickMs: [] };
  window.mugGame.net = net;
  const laggingMs = 1000 * config.netcode.lagging_s;
  let nextRow = 0; // the next frame the server lacks: rows before it (a reload, a resync) are not sent again
  let stalledSince = null;
  const banner = $("net-status");
  const showLag = () => {
    const away = Object.entries(net.states).filter(([p, s]) => p !== net.seat && (s === "hidden" || s === "away"));
    const stalled = stalledSince !== null && performance.now() - stalledSince > laggingMs;
    const names = new Set([...away.map(([p]) => p), ...(stalled ? net.waiting || [] : [])]);
    const text = names.size ? `Waiting for ${[...names].join(", ")}: their connection is lagging…` : "";
    if (text && banner.hidden) net.lagShown.push({ at: performance.now(), players: [...names] });
    banner.textContent = text;
    banner.hidden = !text;
  };
  return new Promise((resolve) => {
    const finish = (result) => {
      worker.removeEventListener("message", onMessage);
      try {
        sessionStorage.setItem("mugNetStats", JSON.stringify(net)); // what the benchmark reads after the game
      } catch {
        // storage full or disabled: only the benchmark misses it
      }
      banner.hidden = true;
      resolve(result);
    };
    const onMessage = (event) => {
      const m = event.data;
      if (m.type === "net-welcome") {
        Object.assign(net, { seat: m.seat, players: m.players });
        Object.assign(net.states, m.states);
      } else if (m.type === "net-started") {
        nextRow = m.stored.n_steps; // rows the server already has (a reload fast-forwards through them)
        uploader.beginEpisode(m.episode, { seed: m.seed, runtime, reset: m.reset, netcode: config.netcode }, m.stored);
        net.episodes.push({ episode: m.episode, seed: m.seed, rejoined: !m.fresh });
        renderer.draw(m.render);
        renderer.hud(m.hud);
        (m.fresh ? countdown(config.countdown_seconds) : Promise.resolve()).then(() => worker.postMessage({ type: "net-go" }));
      } else if (m.type === "net-frame") {
        if (!net.frames) window.mugGame.timing.firstFrame = performance.now();
        net.frames++;
        window.mugGame.frames = net.frames;
        window.mugGame.tickMs += m.tick_ms;
        Object.assign(net, { stats: m.stats, frame: m.frame, confirmed: m.confirmed, rtt: m.rtt_ms, waiting: m.waiting,
                             reconnects: m.reconnects, tickScale: m.tick_scale });
        net.replays.push(...m.replays); // [depth, ms] per rollback, and each tick's Python time, for the benchmark
        if (net.tickMs.length < 20000) net.tickMs.push(m.tick_ms);
        if (m.render) renderer.draw(m.render);
        renderer.hud(m.hud);
        for (const row of m.rows) {
          if (row.frame >= nextRow) {
            uploader.add(row);
            nextRow = row.frame + 1;
          }
          net.rows++;
        }
        stalledSince = m.stalled ? (stalledSince ?? performance.now()) : null;
        showLag();
        if (m.over) uploader.endEpisode();
      } else if (m.type === "net-player") {
        net.states[m.player] = m.state;
        showLag();
      } else if (m.type === "net-replaced") {
        net.replaced.push(m);
        net.states[m.player] = "replaced";
        showLag();
      } else if (m.type === "net-resync") {
        net.resyncs = (net.resyncs || 0) + 1;
      } else if (m.type === "net-desync") {
        net.desyncs.push(m);
        console.warn("game state differs between participants at frame", m.frame);
      } else if (m.type === "net-finished") {
        finish({ finished: true });
      } else if (m.type === "net-end") {
        finish({ next: m.next, reason: m.reason });
      } else if (m.type === "net-superseded") {
        finish({ superseded: true });
      } else if (m.type === "net-error") {
        console.warn("relay:", m.message);
      }
    };
    worker.addEventListener("message", onMessage);
    worker.postMessage({ type: "net-join", url: socketUrl(config.relay_path), sceneKey: config.scene_key });
  });
}
