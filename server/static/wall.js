"use strict";
// The words come from the server's catalogues, in the language the page was rendered in: the
// space's choice (?lang=en), never the browser's. French by default.
const lang = document.documentElement.lang === "en" ? "en" : "fr";
const params = new URLSearchParams(location.search);
params.delete("lang");
const words = JSON.parse(document.getElementById("wall-texts").textContent);
const t = {
  ...words,
  seatsLeft: (n) => (n === 0 ? words.full
    : (n === 1 ? words.seatOne : words.seatsMany).replace("{n}", String(n))),
  going: (n) => (n === 1 ? words.goingOne : words.goingMany).replace("{n}", String(n)),
};
const wall = document.getElementById("wall");
const status = document.getElementById("status");
const clock = document.getElementById("clock");
const MAX_CARDS = 40;  // more than a 4K screen shows; the rest is hidden, never scrolled
const eventNames = new Map();  // event id -> name, so an RSVP can say which event

function tick() {
  clock.textContent = new Date().toLocaleTimeString(lang, { hour: "numeric", minute: "2-digit" });
}
tick();
setInterval(tick, 10000);

// The names of the places we follow, as the node knows them, so that a card says "Florac"
// rather than a host name; read as text from a JSON block, never run.
let placeNames = {};
try {
  placeNames = JSON.parse(document.getElementById("place-names")?.textContent || "{}");
} catch (notJson) {
  placeNames = {};
}

function hostOf(uri) {
  try { return new URL(uri).host; } catch (notAUrl) { return ""; }
}

function describe(kind, item) {
  const action = item.action || "created";
  switch (kind) {
    case "event":
      if (item.id && item.name) eventNames.set(item.id, item.name);
      return { label: t.event[action] || t.event.created, title: item.name,
               meta: [item.startTimeText, item.placeName] };
    case "call": {
      const label = (action === "created" && t.callKinds[item.callKind]) || t.call[action]
        || t.call.created;
      const deadline = item.deadlineText;
      return { label, title: item.name, meta: [deadline && `${t.until} ${deadline}`] };
    }
    case "profile":
      return { label: t.profile, title: item.name, meta: [(item.skills || []).join(", ")] };
    case "rsvp":
      return { label: t.rsvp, title: eventNames.get(item.event) || t.anEvent, meta: [] };
    case "neighbour":
      return { label: t.neighbour, title: item.name || hostOf(item.actor) || item.actor,
               meta: [t.relations[item.relation] || item.relation] };
    default:
      return { label: kind, title: item.name || "", meta: [] };
  }
}

// Seats left when the event has a limit, else how many take part; nothing for a cancelled one.
function seatsText(item) {
  if (item.action === "cancelled") return "";
  if (Number.isInteger(item.remainingAttendeeCapacity)) {
    return t.seatsLeft(item.remainingAttendeeCapacity);
  }
  return item.participantCount > 0 ? t.going(item.participantCount) : "";
}

function showSeats(line, item) {
  line.textContent = seatsText(item);
  line.classList.toggle("full", item.remainingAttendeeCapacity === 0);
}

// A change of seats only (a Join or a Leave somewhere) is no news of its own: the cards of that
// event already on the wall show the new count, and nothing is added.
function refreshSeats(item) {
  for (const article of wall.querySelectorAll("article.event")) {
    if (article.dataset.about !== item.id || article.classList.contains("cancelled")) continue;
    const line = article.querySelector(".seats");
    showSeats(line, item);
    line.classList.remove("moved");
    void line.offsetWidth;  // restarts the animation when seats move twice in a row
    line.classList.add("moved");
  }
}

// Deleted, withdrawn, or from a neighbour no longer followed: what the agenda no longer has
// leaves the screen too, with the RSVP cards about it.
function takeDown(id) {
  for (const article of [...wall.querySelectorAll("article")]) {
    if (id && article.dataset.about === id) article.remove();
  }
}

function card(kind, item) {
  const { label, title, meta } = describe(kind, item);
  const article = document.createElement("article");
  article.className = kind;
  article.dataset.about = item.id || item.event || "";  // an RSVP's card is about its event
  if (item.action === "cancelled") article.classList.add("cancelled");
  const head = document.createElement("div");
  head.className = "kind";
  const what = document.createElement("span");
  what.textContent = label;
  const where = document.createElement("span");
  where.className = "where";
  where.textContent = item.local ? t.here
    : placeNames[item.place] || [t.network, hostOf(item.place)].filter(Boolean).join(" · ");
  head.append(what, where);
  const heading = document.createElement("div");
  heading.className = "title";
  heading.textContent = title || "";
  const details = document.createElement("div");
  details.className = "meta";
  details.textContent = meta.filter(Boolean).join(" — ");
  article.append(head, heading, details);
  if (kind === "event") {
    const seats = document.createElement("div");
    seats.className = "seats";
    showSeats(seats, item);
    article.append(seats);
  }
  const tags = (kind === "profile" ? [] : item.tags || []).slice(0, 5);
  if (tags.length) {
    const line = document.createElement("div");
    line.className = "tags";
    line.textContent = tags.map((tag) => `#${tag}`).join("  ");
    article.append(line);
  }
  return article;
}

function show(state) {
  status.className = state;
  status.textContent = t[state];
  document.body.classList.toggle("offline", state === "offline");
}

// EventSource reconnects by itself after a dropped connection, sending Last-Event-ID. After an
// answer that is not a stream (a proxy's 502 while the node restarts) it gives up for good: then we
// open a new one ourselves, later and later, asking for what we missed with last_event_id.
// The page names where the stream starts: the last items of the network's recent life, so the
// wall never opens empty on a live network.
const since = Number(document.body.dataset.since);
let lastId = Number.isInteger(since) && document.body.dataset.since !== "" ? since : null;
let retryMs = 3000;
let source = null;

function connect() {
  const query = new URLSearchParams(params);
  // Dates come formatted by the server (Babel, on the event's or the place's clock), in the
  // wall's language, as on every page.
  query.set("dates", lang);
  if (lastId !== null) query.set("last_event_id", lastId);
  source = new EventSource(`/api/v1/stream?${query}`);
  source.onopen = () => { retryMs = 3000; show("live"); };
  source.onerror = () => {
    show("offline");
    if (source.readyState === EventSource.CLOSED) {
      source.close();
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 60000);
    }
  };
  for (const kind of ["event", "call", "profile", "rsvp", "neighbour"]) {
    source.addEventListener(kind, (message) => {
      const id = Number(message.lastEventId);
      if (lastId !== null && id <= lastId) return;  // already shown before a reconnection
      if (Number.isFinite(id)) lastId = id;
      let item;
      try { item = JSON.parse(message.data); } catch (notJson) { return; }
      if (kind === "event" && item.action === "seats") {
        refreshSeats(item);
        return;
      }
      if (item.action === "removed") {
        takeDown(item.id);
        return;
      }
      for (const older of wall.querySelectorAll(".fresh")) older.classList.remove("fresh");
      const added = card(kind, item);
      added.classList.add("fresh");  // the newest stands out until the next one arrives
      wall.prepend(added);
      while (wall.children.length > MAX_CARDS) wall.lastChild.remove();
    });
  }
}
show("connecting");
connect();
