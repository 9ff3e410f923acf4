// A drift-free fixed-rate clock for the game worker. A late frame still runs (frames are never skipped); how late it
// is goes to the frame. The worker owns the clock so the game keeps its pace while the tab is in the background.

/**
 * Calls `frame(now, lateMs)` every `1000 / fps` ms until it returns a falsy value (or the clock is stopped). A
 * number it returns scales the next period (the group game's leader runs slower while it is ahead of the others).
 * @param {number} fps
 * @param {(now: number, lateMs: number) => number | boolean | null | Promise<number | boolean | null>} frame
 * @returns {{stop: () => void, running: () => boolean}}
 */
export function startClock(fps, frame) {
  const period = 1000 / fps;
  let next = performance.now();
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  let stopped = false;
  const run = async () => {
    const now = performance.now();
    const result = await frame(now, Math.max(0, now - next));
    if (!result || stopped) {
      stopped = true;
      return;
    }
    next += period * (typeof result === "number" ? result : 1);
    // After a long stall (e.g. the machine slept) re-anchor instead of racing through a backlog.
    if (now - next > 5 * period) next = now + period;
    timer = setTimeout(run, Math.max(0, next - performance.now()));
  };
  timer = setTimeout(run, 0);
  return {
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
    running: () => !stopped,
  };
}
