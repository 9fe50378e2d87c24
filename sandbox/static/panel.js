// The sandbox's panel on the local Discord's page: the workers and who owns the guild, and the demo library.
"use strict";
(() => {
  const panels = document.getElementById("panels");
  const make = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value); else node.setAttribute(key, value);
    }
    for (const child of children) if (child != null) node.append(typeof child === "string" ? document.createTextNode(child) : child);
    return node;
  };
  const workers = make("section", { id: "workers", "aria-label": "workers" });
  const library = make("section", { id: "library", "aria-label": "library" });
  const note = make("div", { class: "small", id: "worker-note" });
  panels.append(make("h3", {}, "Workers"), workers, note, make("h3", {}, "Library"), library);

  async function act(name, action) {
    note.textContent = `${action} ${name}…`;
    const response = await fetch(`/sandbox/workers/${encodeURIComponent(name)}/${action}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    const data = await response.json().catch(() => ({}));
    note.textContent = data.error || `${name}: ${data.state}`;
    refresh();
  }

  async function refresh() {
    const response = await fetch("/sandbox/workers");
    const data = await response.json();
    workers.replaceChildren(...data.workers.map((w) => make("div", { class: "worker", "data-worker": w.name,
      "data-owner": String(w.owner) },
      make("div", {}, make("strong", {}, w.name), w.owner ? make("span", { class: "role" }, "owns the guild") : null),
      make("div", { class: "small" }, `pid ${w.pid ?? "-"} · ${w.state} · started ${w.starts}×`),
      make("div", { class: "row" },
        make("button", { type: "button", class: "style-4", "data-action": "kill", onclick: () => act(w.name, "kill") }, "kill -9"),
        make("button", { type: "button", class: "style-2", "data-action": "terminate", onclick: () => act(w.name, "terminate") }, "SIGTERM"),
        make("button", { type: "button", class: "style-3", "data-action": "restart", onclick: () => act(w.name, "restart") }, "restart")))));
    if (!data.owner) workers.append(make("div", { class: "small" }, "no worker owns the guild (nothing playing)"));
  }

  async function loadLibrary() {
    const response = await fetch("/sandbox/library");
    const entries = await response.json();
    library.replaceChildren(...entries.map((e) => make("div", { class: "track" },
      make("button", { type: "button", class: "style-1", "data-url": e.url,
        onclick: () => window.localDiscord.fill(`/play query:${e.url}`) }, "▶"), " ", e.title)));
  }

  loadLibrary();
  refresh();
  setInterval(() => refresh().catch(() => {}), 1000);
})();
