// Keyboard input: tracks held keys and fresh presses, and forwards changes to the game worker.

import * as work from "../shared/protocol/worker.js";

/**
 * Forwards the mapped keys to `worker` (or anything with postMessage, e.g. a server game's socket link) until the
 * returned function is called.
 * @param {{postMessage: (message: any) => void}} worker
 * @param {string[]} mappedKeys
 */
export function trackKeys(worker, mappedKeys) {
  /** @type {Set<string>} */
  const held = new Set();
  const mapped = new Set(mappedKeys);
  /** @param {string[]} presses */
  const send = (presses) => worker.postMessage({ type: work.INPUT, held: [...held], presses });
  /** @param {KeyboardEvent} event */
  const onDown = (event) => {
    if (!mapped.has(event.key)) return;
    event.preventDefault(); // arrow keys and space must not scroll the page mid-game
    if (event.repeat) return;
    held.add(event.key);
    send([event.key]);
  };
  /** @param {KeyboardEvent} event */
  const onUp = (event) => {
    if (!held.delete(event.key)) return;
    send([]);
  };
  // A key released while the window is not focused never fires keyup: forget everything on blur.
  const onBlur = () => {
    held.clear();
    send([]);
  };
  const onVisibility = () => worker.postMessage({ type: work.FOCUS, focused: document.visibilityState === "visible" });
  window.addEventListener("keydown", onDown);
  window.addEventListener("keyup", onUp);
  window.addEventListener("blur", onBlur);
  document.addEventListener("visibilitychange", onVisibility);
  return () => {
    window.removeEventListener("keydown", onDown);
    window.removeEventListener("keyup", onUp);
    window.removeEventListener("blur", onBlur);
    document.removeEventListener("visibilitychange", onVisibility);
  };
}

/**
 * The single keys used in a mapping whose entries may be combinations like "ArrowLeft+ArrowUp".
 * @param {Record<string, unknown>} mapping
 */
export function keysOf(mapping) {
  /** @type {Set<string>} */
  const keys = new Set();
  for (const name of Object.keys(mapping)) {
    if (name === "+") keys.add(name);
    else name.split("+").forEach((key) => keys.add(key));
  }
  return [...keys];
}
