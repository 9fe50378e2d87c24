// Shared by the page's modules: its state, DOM building (text only, never HTML) and the JSON API.
export const $ = (id) => document.getElementById(id);
export const state = { guild: null, viewer: null, text: null, voice: null, rendered: new Map(), ear: null };

export function el(tag, attrs = {}, ...children) {
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

export async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

export function showError(text) {
  const box = $("composer-error");
  box.textContent = text || "";
  box.hidden = !text;
}

export function member(id) { return state.guild.members.find((m) => m.id === id); }

export function safeUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch { return null; }
}

// Discord's markdown, the part bots use: \-escapes, **bold**, *italic*, `code`, [label](url), <@user>, <#channel>.
