// Messages as Discord shows them: markdown, embeds, components, ephemeral and edited marks.
import { $, api, el, member, safeUrl, showError, state } from "./dom.js";

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

export async function refreshMessages() {
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
