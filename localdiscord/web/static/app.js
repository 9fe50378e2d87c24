// The local Discord's page: plain JavaScript, no build step. Everything shown is set as text (textContent),
// never parsed as HTML: titles and messages come from the bot and, through it, from the internet.
import { $, api, el, member, showError, state } from "./dom.js";
import { ensureEar, listen, meter, stopListening } from "./ear.js";
import { refreshMessages } from "./messages.js";
import { keys, send, suggest } from "./composer.js";

// ---- the guild: channels, members, voice ---------------------------------------------------------------------


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
