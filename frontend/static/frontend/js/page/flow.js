// Keeps the participant on one document while a game lies ahead: scene forms are posted with fetch and the
// next scene is swapped in, so the game runtime can boot in a worker while earlier pages are being read.

import { mountGame } from "./game.js";
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
  const next = new DOMParser().parseFromString(await response.text(), "text/html");
  document.title = next.title;
  const main = /** @type {HTMLElement} */ (next.querySelector("main"));
  /** @type {HTMLElement} */ (document.querySelector("main")).replaceWith(document.adoptNode(main));
  window.scrollTo(0, 0);
  prebootFrom(document);
  if (document.getElementById("mug-runtime")) mountGame();
}

prebootFrom(document);
if (document.getElementById("mug-runtime")) mountGame();
document.addEventListener("submit", submitInPlace);
