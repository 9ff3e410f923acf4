// Error text for messages to the server and the page.

/**
 * The message of an Error, or the thrown value as text.
 * @param {unknown} error
 * @returns {string}
 */
export function errorMessage(error) {
  if (error instanceof Error || (error && typeof error === "object" && "message" in error && error.message)) {
    return String(/** @type {{message: unknown}} */ (error).message);
  }
  return String(error);
}
