// The live monitor: a staff-only socket sends a snapshot every two seconds; the page redraws its tables and the
// endings chart without reloading. Text goes in with textContent only (participant ids and errors are data).

import { JsonSocket, socketUrl } from "../shared/socket.js";

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const STAFF_ONLY = 4003; // the close code of a socket refused to someone who is not staff
/** @type {Record<string, string>} */
const COLORS = { completed: "#2e7d32", excluded: "#c62828", screened_out: "#8e24aa", timed_out: "#f9a825" };
const OTHER = "#607d8b";

/**
 * @template T
 * @param {T[]} rows
 * @param {[string, (row: T) => unknown][]} columns titles and cell values (text, or an element such as a link)
 */
function table(rows, columns) {
  const element = document.createElement("table");
  const head = element.createTHead().insertRow();
  for (const [title] of columns) head.appendChild(document.createElement("th")).textContent = title;
  const body = element.createTBody();
  for (const row of rows) {
    const line = body.insertRow();
    for (const [, value] of columns) {
      const cell = line.insertCell();
      const content = value(row);
      if (content instanceof Node) cell.appendChild(content);
      else cell.textContent = String(content ?? "");
    }
  }
  if (!rows.length) body.insertRow().insertCell().textContent = "none";
  return element;
}

/** @param {Record<string, unknown> | undefined} object */
const entries = (object) => Object.entries(object || {}).map(([k, v]) => `${k}: ${v}`).join(", ");

/**
 * @param {Element} svg
 * @param {Record<string, any>[]} buckets counts by ending, per period starting at `from`
 */
function drawEndings(svg, buckets) {
  svg.replaceChildren();
  const ns = "http://www.w3.org/2000/svg";
  const max = Math.max(1, ...buckets.map((b) => Object.entries(b).filter(([k]) => k !== "from").reduce((s, [, v]) => s + v, 0)));
  const width = 640 / Math.max(12, buckets.length);
  buckets.forEach((bucket, i) => {
    let y = 140;
    for (const [status, count] of Object.entries(bucket)) {
      if (status === "from") continue;
      const height = (120 * count) / max;
      const bar = document.createElementNS(ns, "rect");
      Object.entries({ x: i * width + 2, y: y - height, width: width - 4, height, fill: COLORS[status] || OTHER })
        .forEach(([k, v]) => bar.setAttribute(k, String(v)));
      bar.appendChild(document.createElementNS(ns, "title")).textContent = `${bucket.from} ${status}: ${count}`;
      svg.appendChild(bar);
      y -= height;
    }
    const total = 140 - y > 0 ? Object.entries(bucket).filter(([k]) => k !== "from").reduce((s, [, v]) => s + v, 0) : 0;
    const count = document.createElementNS(ns, "text"); // the bucket's number of endings, above its bar
    Object.entries({ x: i * width + 2, y: Math.max(10, y - 2), "font-size": 10, class: "live-count" })
      .forEach(([k, v]) => count.setAttribute(k, String(v)));
    count.textContent = total ? String(total) : "";
    svg.appendChild(count);
    const label = document.createElementNS(ns, "text");
    Object.entries({ x: i * width + 2, y: 156, "font-size": 10 }).forEach(([k, v]) => label.setAttribute(k, String(v)));
    label.textContent = bucket.from;
    svg.appendChild(label);
  });
}

/**
 * The chart's legend: each ending's colour and how many there were over the whole chart.
 * @param {HTMLElement} list
 * @param {Record<string, any>[]} buckets
 */
function drawLegend(list, buckets) {
  /** @type {Record<string, number>} */
  const totals = {};
  for (const bucket of buckets) {
    for (const [status, count] of Object.entries(bucket)) if (status !== "from") totals[status] = (totals[status] || 0) + count;
  }
  list.replaceChildren(...Object.entries(totals).sort().map(([status, count]) => {
    const item = document.createElement("li");
    item.dataset.status = status;
    const swatch = item.appendChild(document.createElement("span"));
    swatch.className = "live-swatch";
    // CSSOM properties, not a style attribute (which the CSP refuses)
    Object.assign(swatch.style, { background: COLORS[status] || OTHER, display: "inline-block", width: "12px", height: "12px" });
    item.append(` ${status.replaceAll("_", " ")}: ${count}`);
    return item;
  }));
  if (!list.children.length) list.appendChild(document.createElement("li")).textContent = "no endings yet";
}

/**
 * @param {number | null | undefined} value
 * @param {string} [unit]
 */
const orDash = (value, unit = "") => (value == null ? "-" : `${Math.round(value)}${unit}`);
/** @param {any} s */
const seatText = (s) =>
  `${s.agent} ${s.participant}: ${s.state}, ${orDash(s.rtt_ms, " ms")}, ${s.frame}, ${orDash(s.fps, " fps")}, ${orDash(s.rollbacks)}`;

/** @param {any} v an experiment's verification counts */
const checksText = (v) =>
  `${v.differs} differ, ${v.mismatch} mismatch, ${v.pending} pending, ${v.group_unchecked} group unchecked`;

/**
 * A link to the episode's admin page (the URL is the server's; the text is set, never parsed as HTML).
 * @param {any} m
 */
function episodeLink(m) {
  const link = document.createElement("a");
  link.href = m.admin_url;
  link.textContent = `#${m.episode}`;
  return link;
}

/** @param {any} m where the episode first differs */
const differsAt = (m) =>
  m.frame == null && m.field == null ? "-" : `frame ${m.frame ?? "-"}, ${m.agent ?? "-"}, ${m.field ?? "-"}`;

/** @param {any} snapshot */
function render(snapshot) {
  window.mugLive = snapshot; // read by the tests
  $("live-status").textContent = `Updated ${new Date(snapshot.at).toLocaleTimeString()}`;
  $("live-experiments").replaceChildren(table(snapshot.experiments, [
    ["Experiment", (e) => e.slug], ["Accepting", (e) => (e.accepting ? "yes" : "paused")],
    ["By status", (e) => entries(e.statuses)], ["In progress, by scene", (e) => entries(e.in_progress_by_scene)],
    ["Verification (episodes)", (e) => checksText(e.verification)],
  ]));
  $("live-mismatches").replaceChildren(table(snapshot.mismatches, [
    ["Experiment", (m) => m.experiment], ["Participant", (m) => m.participant], ["Scene", (m) => m.scene_key],
    ["Episode", episodeLink], ["Check", (m) => (m.check === "exact" ? "exact (Pyodide)" : "verification")],
    ["First difference (frame, agent, field)", differsAt],
  ]));
  $("live-rooms").replaceChildren(table(snapshot.rooms, [
    ["Experiment", (r) => r.experiment], ["Scene", (r) => r.scene_key], ["Waiting", (r) => r.waiting],
    ["Connected", (r) => r.present],
  ]));
  $("live-stuck").replaceChildren(table(snapshot.stuck, [
    ["Experiment", (s) => s.experiment], ["Participant", (s) => s.participant], ["Scene", (s) => s.scene_key],
    ["Where, for how long", (s) => s.reason], ["Episode", (s) => s.episode ?? "-"], ["Stuck for", (s) => `${s.stuck_s} s`],
  ]));
  $("live-abandoned").replaceChildren(table(snapshot.abandoned_games, [
    ["Game", (g) => g.id], ["Experiment", (g) => g.experiment], ["Scene", (g) => g.scene_key],
    ["Seats", (g) => g.seats.map(seatText).join("; ")], ["Nothing since", (g) => `${g.idle_s} s`],
  ]));
  $("live-games").replaceChildren(table(snapshot.games, [
    ["Game", (g) => g.id], ["Experiment", (g) => g.experiment], ["Scene", (g) => g.scene_key], ["Runs on", (g) => g.runs_on],
    ["Episode", (g) => g.episode], ["Server fps", (g) => g.stats?.fps ?? "-"],
    ["Seats (tab, round trip, frame, browser fps, rollbacks)", (g) => g.seats.map(seatText).join("; ")],
  ]));
  $("live-solo").replaceChildren(table(snapshot.solo, [
    ["Experiment", (s) => s.experiment], ["Participant", (s) => s.participant], ["Scene", (s) => s.scene_key],
    ["Episode", (s) => s.episode], ["Steps stored", (s) => s.steps], ["Browser fps", (s) => s.fps ?? "-"],
    ["Tab", (s) => (s.focused == null ? "-" : s.focused ? "focused" : "not focused")],
    ["Last upload", (s) => (s.last_upload_s == null ? "-" : `${s.last_upload_s} s ago`)],
  ]));
  $("live-errors").replaceChildren(table(snapshot.errors, [
    ["Experiment", (e) => e.experiment], ["Participant", (e) => e.participant], ["Scene", (e) => e.scene],
    ["Stage", (e) => e.stage], ["Message", (e) => e.message],
  ]));
  $("live-page-errors").replaceChildren(table(snapshot.page_errors, [
    ["When", (e) => new Date(e.at).toLocaleTimeString()], ["Experiment", (e) => e.experiment],
    ["Participant", (e) => e.participant], ["Scene", (e) => e.scene], ["Kind", (e) => e.stage], ["Message", (e) => e.message],
  ]));
  drawEndings($("live-endings"), snapshot.endings);
  drawLegend($("live-endings-legend"), snapshot.endings);
}

new JsonSocket({
  url: socketUrl("/admin/live/ws/"),
  onMessage: render,
  onDrop: (event) => {
    $("live-status").textContent = event.code === STAFF_ONLY ? "Staff only." : "Reconnecting…";
    return event.code !== STAFF_ONLY;
  },
  first: 500,
  max: 8000,
}).connect();
