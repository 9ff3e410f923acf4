// Entry screening: measures what only the browser can (window size, WebAssembly, touch), lets the server time
// a few round trips itself, and sends the measurements; the server decides and the page follows its answer.

const config = JSON.parse(document.getElementById("mug-screening").textContent);
const csrf = document.querySelector("#screening-form input[name=csrfmiddlewaretoken]").value;

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
  });
  return response.json();
}

async function measure() {
  // Each ping returns the server's signed timestamp; sending it straight back lets the server time the round trip.
  let nonce = null;
  for (let i = 0; i <= config.pings; i++) nonce = (await post(config.ping_url, { nonce })).nonce ?? null;
  const verdict = await post(config.submit_url, {
    width: window.innerWidth,
    height: window.innerHeight,
    webassembly: typeof WebAssembly === "object" && typeof WebAssembly.instantiate === "function",
    touch_points: navigator.maxTouchPoints || 0,
  });
  window.mugScreening = verdict;
  window.location.assign(verdict.next || window.location.href);
}

measure().catch(() => {
  document.getElementById("screening-status").textContent =
    "We could not check your setup. Please reload the page to try again.";
});
