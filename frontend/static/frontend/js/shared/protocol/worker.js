// Messages between a page and its game worker (postMessage; JavaScript on both sides, no Python counterpart).
// The worker forwards the relay's messages for the page as net(<relay type>), e.g. net(PLAYER) is "net-player".

// page -> worker
export const LOAD = "load"; // {config}: boot Pyodide, install the scene's packages, load its code and models
export const START = "start"; // {episode, seed, fps, hold}: play one episode on the worker's clock (hold: after PLAY)
export const PLAY = "play"; // the countdown over the episode's first frame is over: start its clock
export const BENCHMARK = "benchmark"; // {frames, seed}: the screening's pre-flight (answered with the same type)
export const INPUT = "input"; // {held, presses}
export const FOCUS = "focus"; // {focused}
export const NET_JOIN = "net-join"; // {path, host, sceneKey}: join the group game over the relay (at its host)
export const NET_GO = "net-go"; // the countdown is over: start the group game's clock

// worker -> page
export const PROGRESS = "progress"; // {stage, fraction}
export const READY = "ready"; // {agents, assets, images (the scene's asset files: worker/assets.js), runtime}
export const STARTED = "started"; // {reset, render, hud}
export const FRAME = "frame"; // {render, hud, row, over, tick_ms, infer_ms, inferences}
export const ERROR = "error"; // {stage, message}
export const NET_STARTED = "net-started"; // {episode, seed, render, hud, reset, stored, fresh}
export const NET_FRAME = "net-frame"; // one tick of the group game: render, rows, stats, ...
export const NET_LINK = "net-link"; // {up}: this browser's own connection to the relay went down, or is back

const NET_PREFIX = "net-";

/**
 * The worker->page name of a relay message type.
 * @param {string} type
 */
export function net(type) {
  return NET_PREFIX + type;
}
