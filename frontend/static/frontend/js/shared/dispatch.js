// Messages are handled through handler maps: an object from message type to function, one per conversation.

/** @typedef {Record<string, (message: any) => any>} Handlers */

/**
 * Calls the handler of `message.type` with the message and returns what it returns; a type without a handler goes
 * to `otherwise` (if given). Only the map's own keys count, so a type such as "constructor" reaches no built-in.
 * @param {Handlers} handlers
 * @param {{type: string}} message
 * @param {(message: any) => any} [otherwise]
 * @returns {any}
 */
export function dispatch(handlers, message, otherwise) {
  if (Object.hasOwn(handlers, message.type)) return handlers[message.type](message);
  return otherwise ? otherwise(message) : undefined;
}
