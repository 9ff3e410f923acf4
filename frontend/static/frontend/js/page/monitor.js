// Monitoring during play: tells the server when the tab is hidden or shown, when the participant gives input
// (at most every 2 s), and that the page is alive (every 2 s: "alive" while visible, "hidden" while hidden, so a
// warning reaches a hidden tab: its banner and its title); the server decides and answers with nothing, a
// warning to show, or the exclusion (the page then goes to its ending). The server also decides on its own clock:
// a tab that never reports again is excluded there, and its next report (if any) brings it to its ending.

import { postJson } from "./http.js";

const INPUT_EVERY_MS = 2000;
const ALIVE_EVERY_MS = 2000;

/**
 * Starts the reports of `config.monitoring` (if the scene is monitored); returns the function that stops them.
 * @param {any} config the scene's runtime configuration
 * @param {string} csrfToken
 * @returns {() => void}
 */
export function startMonitor(config, csrfToken) {
  const monitoring = config.monitoring;
  if (!monitoring) return () => {};
  const banner = /** @type {HTMLElement} */ (document.getElementById("monitor-warning"));
  /** @type {{reports: string[], warnings: string[], stopped: boolean}} */
  const state = { reports: [], warnings: [], stopped: false };
  window.mugGame.monitor = state; // read by the tests
  let inputSentAt = 0;
  const title = document.title;
  /** @param {string} event */
  const send = async (event) => {
    if (state.stopped) return;
    state.reports.push(event);
    try {
      // keepalive: a report sent as the tab is hidden still arrives if the page is then discarded
      const response = await postJson(monitoring.url, { event }, csrfToken, { keepalive: true });
      const body = await response.json();
      if (body.excluded) {
        stop();
        window.location.assign(body.next);
      } else if (body.warning) {
        state.warnings.push(body.warning);
        banner.textContent = `Please stay with the game: ${body.warning}. If this goes on, the study will end.`;
        banner.hidden = false;
        if (document.visibilityState === "hidden") document.title = "⚠ Please come back to the study";
      } else if (body.ok) {
        banner.hidden = true;
        document.title = title;
      }
    } catch {
      // offline for a moment: the next report tells the server
    }
  };
  const onVisibility = () => {
    if (document.visibilityState !== "hidden") document.title = title;
    send(document.visibilityState === "hidden" ? "hidden" : "visible");
  };
  const onKey = () => {
    if (performance.now() - inputSentAt < INPUT_EVERY_MS) return;
    inputSentAt = performance.now();
    send("input");
  };
  const alive = setInterval(() => send(document.visibilityState === "hidden" ? "hidden" : "alive"), ALIVE_EVERY_MS);
  document.addEventListener("visibilitychange", onVisibility);
  window.addEventListener("keydown", onKey);
  const stop = () => {
    state.stopped = true;
    document.title = title;
    clearInterval(alive);
    document.removeEventListener("visibilitychange", onVisibility);
    window.removeEventListener("keydown", onKey);
  };
  send("start");
  return stop;
}
