// Keeps the participant on one document while a game lies ahead: scene forms are posted with fetch and the
// next scene is swapped in, so the game runtime can boot in a worker while earlier pages are being read.

import { mountGame } from "./game.js";
import { setNavigator } from "./navigate.js";
import { bootRuntime } from "./runtime.js";
import "./survey.js"; // sliders of surveys swapped in

/** @param {Document} root */
function prebootFrom(root) {
  const data = root.getElementById("mug-preboot");
  if (!data || typeof WebAssembly !== "object") return;
  const config = JSON.parse(data.textContent || "null");
  // A later game of the visit loads into the interpreter the earlier one used (runtime.js): its game is over here.
  if (window.mugRuntime && window.mugRuntime.sceneKey === config.scene_key) return;
  window.mugRuntime = Object.assign(bootRuntime(config), { bootedAt: performance.now() });
}

/** @param {SubmitEvent} event */
async function submitInPlace(event) {
  const form = event.target;
  // Only this flow's own scene forms: the MTurk return form and anything else navigates normally.
  if (!(form instanceof HTMLFormElement) || form.method !== "post" || form.getAttribute("action")) return;
  event.preventDefault();
  const body = new FormData(form, event.submitter);
  let response;
  try {
    response = await fetch(window.location.href, { method: "POST", body, credentials: "same-origin" });
  } catch {
    form.submit(); // the network hiccuped: let the browser do a normal post
    return;
  }
  swapIn(new DOMParser().parseFromString(await response.text(), "text/html"));
}

/**
 * Show the scene of another flow page in this document (its main element), and start what it needs.
 * @param {Document} next
 */
function swapIn(next) {
  document.title = next.title;
  const main = /** @type {HTMLElement} */ (next.querySelector("main"));
  /** @type {HTMLElement} */ (document.querySelector("main")).replaceWith(document.adoptNode(main));
  window.scrollTo(0, 0);
  prebootFrom(document);
  if (document.getElementById("mug-runtime")) mountGame();
}

/**
 * Where the server sends the participant after a game or a waiting room (a group game's end, a room's timeout that
 * continues to a later scene): this flow page is fetched and swapped in like a posted scene, so the game worker and
 * its interpreter stay for the next game scene. Another page, or a failed fetch, is navigated to.
 * @param {string} url
 */
async function showInPlace(url) {
  const target = new URL(url, window.location.href);
  if (target.origin !== window.location.origin || target.pathname !== window.location.pathname) {
    window.location.assign(url);
    return;
  }
  try {
    const response = await fetch(target, { credentials: "same-origin" });
    const next = new DOMParser().parseFromString(await response.text(), "text/html");
    if (!response.ok || new URL(response.url).pathname !== target.pathname || !next.querySelector("main")) {
      throw new Error("not this flow page");
    }
    swapIn(next);
  } catch {
    window.location.assign(url); // offline for a moment, or the server sent the participant elsewhere
  }
}

setNavigator(showInPlace);
prebootFrom(document);
if (document.getElementById("mug-runtime")) mountGame();
document.addEventListener("submit", submitInPlace);
