// Per-seat page content (GymScene.in_game_body / after_body given as a function): the server renders every human
// seat's HTML into the page, hidden; once the page knows its own seat it shows that seat's and nothing else.

/** @param {string | null | undefined} seat the agent key this page plays */
export function showSeatContent(seat) {
  for (const element of document.querySelectorAll("[data-seat-body]")) {
    if (element instanceof HTMLElement) element.hidden = seat == null || element.dataset.seatBody !== String(seat);
  }
}
