// JSON requests to the site from a participant's page: POSTs carry Django's CSRF token.

/**
 * POST `body` as JSON; resolves with the response (rejects when the network fails).
 * @param {string} url
 * @param {unknown} body
 * @param {string} csrfToken
 * @param {RequestInit} [init] more fetch options, e.g. {keepalive: true}
 */
export function postJson(url, body, csrfToken, init = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
    body: JSON.stringify(body),
    credentials: "same-origin",
    ...init,
  });
}

/**
 * The CSRF token of the form at `selector` (its hidden csrfmiddlewaretoken input).
 * @param {string} selector
 */
export function csrfTokenOf(selector) {
  const input = /** @type {HTMLInputElement} */ (document.querySelector(`${selector} input[name=csrfmiddlewaretoken]`));
  return input.value;
}
