// Waiting between tries: reconnecting sockets and retried requests wait twice as long after each failure, up to a
// ceiling, and start over after a success.

export class Backoff {
  /**
   * @param {number} first the first wait, in milliseconds
   * @param {number} max the longest wait
   */
  constructor(first, max) {
    this.first = first;
    this.max = max;
    this.delay = first;
  }

  /** The wait before the next try; the one after it is twice as long. */
  next() {
    const delay = this.delay;
    this.delay = Math.min(this.delay * 2, this.max);
    return delay;
  }

  /** A try succeeded: the next failure waits the first delay again. */
  reset() {
    this.delay = this.first;
  }
}

/**
 * @param {number} ms
 * @returns {Promise<void>}
 */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
