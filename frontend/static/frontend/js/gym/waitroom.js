// The waiting room of a multi-human game: joins over a WebSocket, answers pings, confirms a proposed group,
// shows the time waited, and reconnects (keeping the place in the queue) if the connection drops.

const $ = (id) => document.getElementById(id);

function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

function show(text) {
  $("room-status").textContent = text;
}

// The server reports the wait every few seconds; the page counts the seconds in between.
let lastWaiting = null;

function showWaiting(room) {
  if (!lastWaiting) return;
  const waitedS = lastWaiting.message.waited_s + (performance.now() - lastWaiting.at) / 1000;
  const left = Math.max(0, Math.ceil(room.timeout_s - waitedS));
  let text = `Waiting for ${Math.floor(waitedS)} s (at most ${left} s more).`;
  const count = lastWaiting.message.waiting;
  if (room.show_count && count !== undefined) text += ` Others waiting: ${Math.max(0, count - 1)}.`;
  show(text);
}

/** Resolves with the "matched" message; a timeout or an error page navigates away instead. */
export function waitForGroup(config) {
  const room = config.waiting_room;
  $("waiting-room").hidden = false;
  window.mugRoom = { messages: [], reconnects: 0 };
  const clock = setInterval(() => showWaiting(room), 1000);
  return new Promise((resolve) => {
    let finished = false;
    let delay = 250;
    const connect = () => {
      const socket = new WebSocket(socketUrl(room.path));
      socket.onopen = () => {
        delay = 250;
        socket.send(JSON.stringify({ type: "join", scene_key: config.scene_key }));
      };
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        window.mugRoom.messages.push(message.type);
        if (message.type === "ping") {
          socket.send(JSON.stringify({ type: "pong", id: message.id }));
        } else if (message.type === "waiting") {
          lastWaiting = { message, at: performance.now() };
          showWaiting(room);
        } else if (message.type === "confirm") {
          lastWaiting = null;
          document.title = "Partner found!";
          show("Partner found, starting…");
          socket.send(JSON.stringify({ type: "ack", match: message.match }));
        } else if (message.type === "matched") {
          finished = true;
          clearInterval(clock);
          window.mugRoom.matched = message;
          show(`Your group is complete. You play ${message.seat}.`);
          resolve(message);
        } else if (message.type === "timeout") {
          finished = true;
          clearInterval(clock);
          window.location.assign(message.next);
        } else if (message.type === "superseded") {
          finished = true;
          clearInterval(clock);
          show("This study is open in another tab or window. Please continue there.");
        } else if (message.type === "error") {
          show(message.message);
        }
      };
      socket.onclose = () => {
        if (finished) return;
        window.mugRoom.reconnects += 1;
        setTimeout(connect, delay); // keep the place: the server holds it for the same participant
        delay = Math.min(delay * 2, 4000);
      };
    };
    connect();
  });
}
