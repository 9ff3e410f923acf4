// Sends the errors a participant's page catches (uncaught exceptions, rejected promises, console.error) to the
// server for the live monitor: at most 10 per page load (the server keeps a share per participant too).

import { postJson } from "./http.js";

const MAX_PER_PAGE = 10;
let installed = false;

/**
 * @param {string} url
 * @param {string} csrfToken
 */
export function captureErrors(url, csrfToken) {
  if (installed || !url) return;
  installed = true;
  let sent = 0;
  /** @type {(kind: string, message: unknown) => void} */
  const report = (kind, message) => {
    if (sent >= MAX_PER_PAGE) return;
    sent += 1;
    postJson(url, { kind, message: String(message).slice(0, 2000) }, csrfToken).catch(() => {});
  };
  window.addEventListener("error", (event) => report("error", `${event.message} (${event.filename}:${event.lineno})`));
  window.addEventListener("unhandledrejection", (event) => report("rejection", event.reason?.stack || event.reason));
  const original = console.error.bind(console);
  console.error = (...args) => {
    original(...args);
    report("console", args.map((a) => a?.stack || String(a)).join(" "));
  };
}
