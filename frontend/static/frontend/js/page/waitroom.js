// The waiting room of a multi-human game: joins over a WebSocket, answers pings, confirms a proposed group,
// shows the time waited, and reconnects (keeping the place in the queue) if the connection drops.

import { dispatch } from "../shared/dispatch.js";
import * as room from "../shared/protocol/room.js";
import { JsonSocket, socketUrl } from "../shared/socket.js";
import { goTo } from "./navigate.js";

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {string} text */
function show(text) {
  $("room-status").textContent = text;
}

// The server reports the wait every few seconds; the page counts the seconds in between.
/** @type {{message: any, at: number} | null} */
let lastWaiting = null;

/** @param {any} settings the scene's waiting room (its timeout, whether to show the count) */
function showWaiting(settings) {
  if (!lastWaiting) return;
  const waitedS = lastWaiting.message.waited_s + (performance.now() - lastWaiting.at) / 1000;
  const left = Math.max(0, Math.ceil(settings.timeout_s - waitedS));
  let text = `Waiting for ${Math.floor(waitedS)} s (at most ${left} s more).`;
  const count = lastWaiting.message.waiting;
  if (settings.show_count && count !== undefined) text += ` Others waiting: ${Math.max(0, count - 1)}.`;
  show(text);
}

/**
 * Resolves with the "matched" message; a timeout or an error page navigates away instead.
 * @param {any} config the scene's runtime configuration
 * @returns {Promise<any>}
 */
export function waitForGroup(config) {
  const settings = config.waiting_room;
  $("waiting-room").hidden = false;
  window.mugRoom = { messages: [], reconnects: 0 };
  const clock = setInterval(() => showWaiting(settings), 1000);
  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      finished = true;
      clearInterval(clock);
      socket.close(); // the wait is over; the document (and this socket) may stay for later scenes of the visit
    };
    const handlers = {
      [room.PING]: (message) => socket.send({ type: room.PONG, id: message.id }),
      [room.WAITING_MESSAGE]: (message) => {
        lastWaiting = { message, at: performance.now() };
        showWaiting(settings);
      },
      [room.CONFIRM]: (message) => {
        lastWaiting = null;
        document.title = "Partner found!";
        show("Partner found, starting…");
        socket.send({ type: room.ACK, match: message.match });
      },
      [room.MATCHED_MESSAGE]: (message) => {
        finish();
        window.mugRoom.matched = message;
        show(`Your group is complete. You play ${message.seat}.`);
        resolve(message);
      },
      [room.TIMEOUT]: (message) => {
        finish();
        goTo(message.next); // e.g. on to a solo game: in this document, so the runtime loading meanwhile stays
      },
      [room.SUPERSEDED]: () => {
        finish();
        show("This study is open in another tab or window. Please continue there.");
      },
      [room.ERROR]: (message) => show(message.message),
    };
    const socket = new JsonSocket({
      url: socketUrl(settings.path),
      onOpen: () => socket.send({ type: room.JOIN, scene_key: config.scene_key }),
      onMessage: (message) => {
        window.mugRoom.messages.push(message.type);
        dispatch(handlers, message);
      },
      onDrop: () => {
        if (finished) return false;
        window.mugRoom.reconnects += 1; // keep the place: the server holds it for the same participant
      },
    }).connect();
  });
}
