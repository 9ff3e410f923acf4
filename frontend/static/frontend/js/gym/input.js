// Keyboard input: tracks held keys and fresh presses, and forwards changes to the game worker.

export function trackKeys(worker, mappedKeys) {
  const held = new Set();
  const mapped = new Set(mappedKeys);
  const send = (presses) => worker.postMessage({ type: "input", held: [...held], presses });
  const onDown = (event) => {
    if (!mapped.has(event.key)) return;
    event.preventDefault(); // arrow keys and space must not scroll the page mid-game
    if (event.repeat) return;
    held.add(event.key);
    send([event.key]);
  };
  const onUp = (event) => {
    if (!held.delete(event.key)) return;
    send([]);
  };
  // A key released while the window is not focused never fires keyup: forget everything on blur.
  const onBlur = () => {
    held.clear();
    send([]);
  };
  const onVisibility = () => worker.postMessage({ type: "focus", focused: document.visibilityState === "visible" });
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

/** The single keys used in a mapping whose entries may be combinations like "ArrowLeft+ArrowUp". */
export function keysOf(mapping) {
  const keys = new Set();
  for (const name of Object.keys(mapping)) {
    if (name === "+") keys.add(name);
    else name.split("+").forEach((key) => keys.add(key));
  }
  return [...keys];
}
