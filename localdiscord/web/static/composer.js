// The message box: slash commands typed as Discord's client types them, with its suggestions and autocomplete.
import { $, api, el, showError, state } from "./dom.js";
import { refreshMessages } from "./messages.js";

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

export async function suggest() {
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

export async function send(event) {
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
export function keys(event) {
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
