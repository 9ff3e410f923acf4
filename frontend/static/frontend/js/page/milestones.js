// A game page's loading milestones, told to the server, which stores when each arrived on its own clock: the runtime
// is ready, Start was pressed. The live monitor then tells "loading Python" from "ready, Start not pressed", and the
// server's own load deadline ends a participant whose page never said ready (its script died, or it was closed).
// A report lost on the way is sent again; an answer that the study has ended for the participant shows the ending.

import { Backoff, sleep } from "../shared/backoff.js";
import { postJson } from "./http.js";

const ATTEMPTS = 8; // about a minute of retries: a participant offline longer is told by the page's own deadline

/**
 * @param {any} config the scene's runtime configuration
 * @param {"ready" | "start"} milestone
 * @param {string} csrfToken
 * @returns {Promise<void>}
 */
export async function reportMilestone(config, milestone, csrfToken) {
  if (!config.milestone_url) return;
  const backoff = new Backoff(1000, 8000);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const body = { scene_key: config.scene_key, milestone };
      const response = await postJson(config.milestone_url, body, csrfToken, { keepalive: true });
      if (response.status === 409) {
        const answer = await response.json().catch(() => ({}));
        if (answer.next) window.location.assign(answer.next); // ended meanwhile (the server's load deadline, staff)
      }
      if (response.status < 500) return;
    } catch {
      // offline for a moment: try again
    }
    await sleep(backoff.next());
  }
}
