// Moves the participant to another page of their flow. On the flow page (flow.js) the next scene is swapped into this
// document, so the game worker and its interpreter stay for a later game scene of the visit; elsewhere it navigates.

/** @type {(url: string) => void} */
let go = (url) => window.location.assign(url);

/**
 * The flow page's way to show a page of the flow (flow.js).
 * @param {(url: string) => void} navigator
 */
export function setNavigator(navigator) {
  go = navigator;
}

/**
 * Show the flow page at `url` (where the server sends a participant after a game or a waiting room).
 * @param {string} url
 */
export function goTo(url) {
  go(url);
}
