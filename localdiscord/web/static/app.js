// The local Discord's page: plain JavaScript, no build step. Everything shown is set as text (textContent),
// never parsed as HTML: titles and messages come from the bot and, through it, from the internet.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { guild: null, viewer: null, text: null, voice: null, rendered: new Map(), ear: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);  // text, never HTML
  }
  return node;
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

function showError(text) {
  const box = $("composer-error");
  box.textContent = text || "";
  box.hidden = !text;
}

// ---- the guild: channels, members, voice ---------------------------------------------------------------------

function member(id) { return state.guild.members.find((m) => m.id === id); }

function renderGuild() {
  const guild = state.guild;
  $("guild-name").textContent = guild.name;
  const viewerSelect = $("viewer");
  const people = guild.members.filter((m) => !m.bot);
  if (viewerSelect.options.length !== people.length) {
    viewerSelect.replaceChildren(...people.map((m) => el("option", { value: m.id },
      m.name + (m.roles.length ? ` (${m.roles.join(", ")})` : ""))));
    if (state.viewer) viewerSelect.value = state.viewer;
  }
  state.viewer = viewerSelect.value;
  const channels = guild.channels.map((c) => {
    const inside = c.type === 2 ? guild.members.filter((m) => m.voice === c.id) : [];
    return el("div", { class: "channel" + (c.id === state.text ? " selected" : ""), "data-channel": c.id },
      (c.type === 2 ? "🔊 " : "# ") + c.name,
      c.status ? el("span", { class: "status" }, c.status) : null,
      ...inside.map((m) => el("div", { class: "voice-member" }, m.name + (m.bot ? " (bot)" : ""))));
  });
  $("channels").replaceChildren(...channels);
  $("members").replaceChildren(el("div", { class: "small" }, "MEMBERS"), ...guild.members.map((m) =>
    el("div", {}, m.name, m.bot ? el("span", { class: "role" }, "APP") : null,
      ...m.roles.map((r) => el("span", { class: "role" }, r)))));
  const me = member(state.viewer);
  const inVoice = me && me.voice === state.voice;
  $("voice-toggle").textContent = inVoice ? "Leave voice" : "Join voice";
  if (inVoice) listen(state.voice, state.viewer); else stopListening();
}

async function refreshGuild() {
  const page = await api("/api/page");
  state.guild = page.guild;
  state.text = state.text || (page.guild.channels.find((c) => c.type === 0) || {}).id;
  state.voice = state.voice || (page.guild.channels.find((c) => c.type === 2) || {}).id;
  renderGuild();
  return page;
}

async function toggleVoice() {
  const me = member(state.viewer);
  const joining = !(me && me.voice === state.voice);
  try {
    await api("/api/voice", { viewer: state.viewer, channel: joining ? state.voice : null });
    if (joining) ensureEar();
    await refreshGuild();
  } catch (error) { showError(error.message); }
}

// ---- hearing the bot: its Opus frames over a WebSocket, decoded by WebCodecs, played by WebAudio ----------------

class Ear {
  constructor() {
    this.ctx = new AudioContext({ sampleRate: 48000, latencyHint: "interactive" });
    this.analyser = this.ctx.createAnalyser();
    this.analyser.fftSize = 32768;
    this.analyser.smoothingTimeConstant = 0;
    this.analyser.connect(this.ctx.destination);
    this.next = 0;
    this.frames = 0;
    this.firstFrameAt = null;
    this.lastFrameAt = null;
    this.streamStartAt = null;
    this.socket = null;
    this.key = null;
    this.decoder = null;
  }

  open(channel, viewer) {
    const key = `${channel}/${viewer}`;
    if (this.key === key && this.socket) return;
    this.close();
    this.key = key;
    this.decoder = new AudioDecoder({ output: (data) => this.play(data), error: (e) => console.warn("opus", e) });
    this.decoder.configure({ codec: "opus", sampleRate: 48000, numberOfChannels: 2 });
    let timestamp = 0;
    const query = new URLSearchParams({ channel, viewer });
    const socket = new WebSocket(`ws://${location.host}/api/audio?${query}`);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => {
      if (this.decoder.state !== "configured") return;
      this.decoder.decode(new EncodedAudioChunk({ type: "key", timestamp, data: event.data }));
      timestamp += 20000;
    };
    socket.onclose = () => { if (this.socket === socket) { this.socket = null; this.key = null; } };
    this.socket = socket;
    if (this.ctx.state === "suspended") this.ctx.resume();
  }

  play(data) {
    const buffer = this.ctx.createBuffer(data.numberOfChannels, data.numberOfFrames, data.sampleRate);
    for (let channel = 0; channel < data.numberOfChannels; channel++) {
      data.copyTo(buffer.getChannelData(channel), { planeIndex: channel, format: "f32-planar" });
    }
    data.close();
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.analyser);
    // A small jitter buffer: a frame after a silence starts 60 ms from now, the next ones follow it seamlessly.
    const start = Math.max(this.next, this.ctx.currentTime + 0.06);
    source.start(start);
    this.next = start + buffer.duration;
    this.frames += 1;
    const now = performance.now();
    if (this.firstFrameAt === null) this.firstFrameAt = now;
    if (this.lastFrameAt === null || now - this.lastFrameAt > 300) this.streamStartAt = now;  // after a silence
    this.lastFrameAt = now;
  }

  close() {
    if (this.socket) this.socket.close();
    this.socket = null;
    this.key = null;
    if (this.decoder && this.decoder.state !== "closed") this.decoder.close();
    this.decoder = null;
  }

  level() {
    const samples = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples.subarray(samples.length - 4800)) sum += s * s;
    const rms = Math.sqrt(sum / 4800);
    return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
  }

  pitch() {
    const bins = new Float32Array(this.analyser.frequencyBinCount);
    this.analyser.getFloatFrequencyData(bins);
    let best = 1;
    for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    const [a, b, c] = [bins[best - 1], bins[best], bins[best + 1] ?? bins[best]];
    const shift = (a - c) / (2 * (a - 2 * b + c) || 1);
    return ((best + shift) * this.ctx.sampleRate) / this.analyser.fftSize;
  }
}

function ensureEar() {
  if (!state.ear) state.ear = new Ear();
  return state.ear;
}

function listen(channel, viewer) { ensureEar().open(channel, viewer); }
function stopListening() { if (state.ear) state.ear.close(); }

function meter() {
  const ear = state.ear;
  if (ear && ear.socket) {
    const db = ear.level();
    const width = Number.isFinite(db) ? Math.max(0, Math.min(100, (db + 60) * (100 / 60))) : 0;
    $("level-bar").style.width = `${width}%`;
    $("level-text").textContent = Number.isFinite(db) && db > -70
      ? `${db.toFixed(0)} dBFS, about ${ear.pitch().toFixed(0)} Hz` : "silence";
  } else {
    $("level-bar").style.width = "0";
    $("level-text").textContent = "not listening";
  }
  requestAnimationFrame(meter);
}

// ---- messages -------------------------------------------------------------------------------------------------

function safeUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch { return null; }
}

// Discord's markdown, the part bots use: \-escapes, **bold**, *italic*, `code`, [label](url), <@user>, <#channel>.
// Built as DOM nodes from text; a link is made only for an http(s) URL.
const MARKDOWN = /\\([^\w\s])|\*\*(.+?)\*\*|\*([^*\s][^*]*?)\*|`([^`]+)`|\[((?:\\.|[^\]\\])+)\]\(<?([^\s<>()]+)>?\)|<@!?(\d+)>|<#(\d+)>/gs;

function markdown(text) {
  const out = document.createDocumentFragment();
  let at = 0;
  for (const m of String(text).matchAll(MARKDOWN)) {
    out.append(document.createTextNode(text.slice(at, m.index)));
    at = m.index + m[0].length;
    const [, escaped, bold, italic, code, label, url, user, channel] = m;
    if (escaped !== undefined) out.append(document.createTextNode(escaped));
    else if (bold !== undefined) out.append(el("strong", {}, markdown(bold)));
    else if (italic !== undefined) out.append(el("em", {}, markdown(italic)));
    else if (code !== undefined) out.append(el("code", {}, code));
    else if (label !== undefined) {
      const href = safeUrl(url);
      out.append(href ? el("a", { href, target: "_blank", rel: "noopener noreferrer" }, markdown(label)) : m[0]);
    } else if (user !== undefined) {
      const who = state.guild && member(user);
      out.append(el("span", { class: "mention" }, `@${who ? who.name : user}`));
    } else {
      const where = state.guild && state.guild.channels.find((c) => c.id === channel);
      out.append(el("span", { class: "mention" }, `#${where ? where.name : channel}`));
    }
  }
  out.append(document.createTextNode(String(text).slice(at)));
  return out;
}

function renderEmbed(embed) {
  const color = Number.isInteger(embed.color) ? `#${embed.color.toString(16).padStart(6, "0")}` : null;
  const node = el("div", { class: "embed" },
    embed.author && embed.author.name ? el("div", { class: "small" }, String(embed.author.name)) : null,
    embed.title ? el("div", { class: "title" }, markdown(String(embed.title))) : null,
    embed.description ? el("div", { class: "description" }, markdown(String(embed.description))) : null,
    ...(embed.fields || []).flatMap((f) => [el("div", { class: "field-name" }, markdown(String(f.name ?? ""))),
      el("div", { class: "field-value" }, markdown(String(f.value ?? "")))]),
    embed.footer && embed.footer.text ? el("div", { class: "footer" }, String(embed.footer.text)) : null);
  if (color) node.style.borderLeftColor = color;
  return node;
}

function renderComponent(message, component) {
  if (component.type === 2) {
    const label = [component.emoji && component.emoji.name, component.label].filter(Boolean).join(" ");
    const url = component.style === 5 ? safeUrl(component.url || "") : null;
    if (url) return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, label || url);
    const button = el("button", { type: "button", class: `style-${component.style}`,
      "data-custom-id": component.custom_id || "", onclick: () => click(message, component, null) }, label || "·");
    if (component.disabled) button.disabled = true;
    return button;
  }
  if ([3, 5, 6, 7, 8].includes(component.type)) {
    const select = el("select", { "data-custom-id": component.custom_id || "" },
      el("option", { value: "" }, component.placeholder || "Make a selection"),
      ...(component.options || []).map((o) => el("option", { value: String(o.value) }, String(o.label))));
    select.addEventListener("change", () => select.value && click(message, component, [select.value]));
    if (component.disabled) select.disabled = true;
    return select;
  }
  return el("span", { class: "small" }, `(component type ${component.type})`);
}

function renderMessage(message) {
  const invoked = message.invoked;
  const node = el("article", { class: "message" + (message.ephemeral ? " ephemeral" : ""), "data-id": message.id },
    invoked && invoked.type === 2 ? el("div", { class: "invoked" }, `${invoked.member} used /${invoked.name}`) : null,
    el("div", {}, el("span", { class: "author" }, message.author), message.bot ? el("span", { class: "app" }, "APP") : null,
      message.edited ? el("span", { class: "edited" }, "(edited)") : null),
    message.loading ? el("div", { class: "content small" }, `${message.author} is thinking…`) : null,
    message.content ? el("div", { class: "content" }, markdown(message.content)) : null,
    ...message.embeds.map(renderEmbed),
    ...message.components.map((row) => el("div", { class: "row" },
      ...(row.components || [row]).map((c) => renderComponent(message, c)))),
    message.ephemeral ? el("div", { class: "ephemeral-note" }, "Only you can see this") : null);
  return node;
}

async function refreshMessages() {
  if (!state.text || !state.viewer) return;
  const query = new URLSearchParams({ channel: state.text, viewer: state.viewer });
  const messages = await api(`/api/messages?${query}`);
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const seen = new Set();
  let previous = null;
  for (const message of messages) {
    seen.add(message.id);
    const key = `${message.version}/${message.ephemeral}`;
    let entry = state.rendered.get(message.id);
    if (!entry || entry.key !== key) {
      const node = renderMessage(message);
      if (entry) entry.node.replaceWith(node);
      entry = { key, node };
      state.rendered.set(message.id, entry);
    }
    if (entry.node.previousSibling !== previous || !entry.node.parentNode) {
      if (previous) previous.after(entry.node); else box.prepend(entry.node);
    }
    previous = entry.node;
  }
  for (const [id, entry] of state.rendered) {
    if (!seen.has(id)) { entry.node.remove(); state.rendered.delete(id); }
  }
  if (atBottom) box.scrollTop = box.scrollHeight;
}

async function click(message, component, values) {
  try {
    const body = { viewer: state.viewer, message: message.id, custom_id: component.custom_id, values };
    const answer = await api("/api/click", body);
    showError(answer.error || "");
  } catch (error) { showError(error.message); }
  refreshMessages();
}

// ---- the message box: slash commands typed as Discord's client types them --------------------------------------

function command(name) { return state.guild.commands.find((c) => c.name === name); }

// "/name [group] [subcommand] opt:value opt2:value…" → {name, group, subcommand, options, leaves, last}
function parse(text) {
  const match = /^\/(\S*)\s?(.*)$/s.exec(text);
  if (!match) return null;
  const parsed = { name: match[1], group: null, subcommand: null, options: {}, leaves: [], last: null, rest: match[2] };
  const cmd = command(parsed.name);
  if (!cmd) return parsed;
  let level = cmd.options || [];
  let rest = match[2];
  for (const [kind, field] of [[2, "group"], [1, "subcommand"]]) {
    if (!level.some((o) => o.type === kind)) continue;
    const word = /^(\S*)\s?(.*)$/s.exec(rest);
    parsed[field] = word[1] || null;
    const chosen = level.find((o) => o.type === kind && o.name === word[1]);
    level = chosen ? chosen.options || [] : [];
    rest = word[2];
    if (!chosen) { parsed.pending = { kind, word: word[1], level: cmd.options }; return parsed; }
  }
  parsed.leaves = level.filter((o) => o.type > 2);
  parsed.rest = rest;
  const names = parsed.leaves.map((o) => o.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (!names.length) return parsed;
  const marker = new RegExp(`(?:^|\\s)(${names.join("|")}):`, "g");
  const found = [...rest.matchAll(marker)];
  found.forEach((m, i) => {
    const start = m.index + m[0].length;
    const end = i + 1 < found.length ? found[i + 1].index : rest.length;
    parsed.options[m[1]] = rest.slice(start, end).trim();
    parsed.last = m[1];
  });
  return parsed;
}

let suggestionTimer = null;
let suggestionItems = [];
let highlighted = -1;

function showSuggestions(items) {
  suggestionItems = items;
  highlighted = -1;
  const list = $("suggestions");
  list.replaceChildren(...items.map((item, i) => el("li", { role: "option", class: i === 0 ? "active" : "",
    onmousedown: (event) => { event.preventDefault(); accept(item); } },
    item.label, item.desc ? el("span", { class: "desc" }, item.desc) : null)));
  list.hidden = items.length === 0;
}

function accept(item) {
  $("input").value = item.text;
  $("input").focus();
  suggest();
}

function commandBase(parsed) {
  return `/${[parsed.name, parsed.group, parsed.subcommand].filter(Boolean).join(" ")} `;
}

async function suggest() {
  const text = $("input").value;
  const parsed = parse(text);
  if (!parsed) return showSuggestions([]);
  const cmd = command(parsed.name);
  if (!cmd || (!text.includes(" ") && text.length > 0)) {
    const matches = state.guild.commands.filter((c) => c.name.startsWith(parsed.name)).slice(0, 25);
    return showSuggestions(matches.map((c) => ({ label: `/${c.name}`, desc: c.description || "", text: `/${c.name} ` })));
  }
  if (parsed.pending) {
    const options = parsed.pending.level.filter((o) => o.type === parsed.pending.kind && o.name.startsWith(parsed.pending.word));
    const before = parsed.pending.kind === 1 && parsed.group ? `/${parsed.name} ${parsed.group} ` : `/${parsed.name} `;
    return showSuggestions(options.map((o) => ({ label: o.name, desc: o.description || "", text: `${before}${o.name} ` })));
  }
  const focused = parsed.leaves.find((o) => o.name === parsed.last);
  const typing = focused && !/\s$/.test(text) || (focused && parsed.options[focused.name] === "");
  if (focused && typing && focused.autocomplete) {
    clearTimeout(suggestionTimer);
    suggestionTimer = setTimeout(() => autocomplete(parsed, focused, text), 250);
    return;
  }
  if (focused && typing && focused.choices) {
    const prefix = text.slice(0, text.length - parsed.options[focused.name].length);
    return showSuggestions(focused.choices.map((c) => ({ label: c.name, text: `${prefix}${c.value} ` })));
  }
  const unused = parsed.leaves.filter((o) => !(o.name in parsed.options));
  const spaced = /\s$/.test(text) ? text : `${text} `;
  showSuggestions(unused.map((o) => ({ label: `${o.name}:`, desc: (o.required ? "required · " : "") + (o.description || ""),
    text: `${spaced}${o.name}:` })));
}

async function autocomplete(parsed, focused, text) {
  try {
    const answer = await api("/api/autocomplete", { viewer: state.viewer, channel: state.text, name: parsed.name,
      group: parsed.group, subcommand: parsed.subcommand, options: parsed.options, focused: focused.name });
    if ($("input").value !== text) return;
    const prefix = text.slice(0, text.length - parsed.options[focused.name].length);
    showSuggestions((answer.choices || []).map((c) => ({ label: String(c.name), text: `${prefix}${c.value} ` })));
    showError(answer.error || "");
  } catch (error) { showError(error.message); }
}

async function send(event) {
  event.preventDefault();
  const text = $("input").value.trim();
  if (!text) return;
  if (!text.startsWith("/")) return showError("This server only talks to the bot: type a slash command (/).");
  const parsed = parse(text);
  if (!command(parsed.name)) return showError(`/${parsed.name} is not a command here.`);
  clearTimeout(suggestionTimer);
  showSuggestions([]);
  try {
    const answer = await api("/api/command", { viewer: state.viewer, channel: state.text, name: parsed.name,
      group: parsed.group, subcommand: parsed.subcommand, options: parsed.options });
    showError(answer.error || "");
    $("input").value = "";
  } catch (error) { showError(error.message); }
  refreshMessages();
}

// Tab takes the highlighted suggestion (the first unless arrows moved); Enter does too after the arrows moved,
// or while a command name is still being typed; otherwise Enter sends.
function keys(event) {
  const open = !$("suggestions").hidden && suggestionItems.length > 0;
  const text = $("input").value;
  if (open && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
    event.preventDefault();
    const step = event.key === "ArrowDown" ? 1 : -1;
    highlighted = (Math.max(highlighted, 0) + step + suggestionItems.length) % suggestionItems.length;
    [...$("suggestions").children].forEach((li, i) => li.classList.toggle("active", i === highlighted));
    return;
  }
  const naming = /^\/\S*$/.test(text) && !command(text.slice(1));
  if (open && (event.key === "Tab" || (event.key === "Enter" && (highlighted >= 0 || naming)))) {
    event.preventDefault();
    accept(suggestionItems[Math.max(highlighted, 0)]);
  } else if (event.key === "Escape") showSuggestions([]);
}

// ---- start ----------------------------------------------------------------------------------------------------

window.localDiscord = {
  state,
  ear: () => state.ear,
  fill(text) { $("input").value = text; $("input").focus(); suggest(); },
  refresh: () => refreshGuild(),
};

async function main() {
  const page = await refreshGuild();
  for (const src of page.panels) document.body.append(el("script", { src }));
  $("viewer").addEventListener("change", () => { state.viewer = $("viewer").value; state.rendered.clear();
    $("messages").replaceChildren(); renderGuild(); refreshMessages(); });
  $("voice-toggle").addEventListener("click", toggleVoice);
  $("composer").addEventListener("submit", send);
  $("input").addEventListener("input", suggest);
  $("input").addEventListener("keydown", keys);
  requestAnimationFrame(meter);
  const poll = async (fn, ms) => { try { await fn(); } catch (error) { console.warn(error); } setTimeout(() => poll(fn, ms), ms); };
  poll(refreshMessages, 400);
  poll(refreshGuild, 1000);
}

main();
