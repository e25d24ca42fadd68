// The embeddable search box: renders into a shadow root so host styles and widget styles
// never meet. Mounted by /widget.js on a host page and by the /embed iframe page.
import { createClient } from "./api.js";
import { el, queryTerms } from "./dom.js";
import { chooseLanguage, translator } from "./i18n.js";
import { renderAnswer, renderError, renderHits } from "./results.js";
import { WIDGET_CSS } from "./widget-style.js";

let sharedSheet = null;

function applyStyles(root) {
  // A constructed sheet is shared by every widget on the page and needs no inline <style>,
  // which a host's Content-Security-Policy may forbid.
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    if (!sharedSheet) {
      sharedSheet = new CSSStyleSheet();
      sharedSheet.replaceSync(WIDGET_CSS);
    }
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sharedSheet];
  } else {
    root.append(el("style", {}, WIDGET_CSS));
  }
}

function positiveInt(text, fallback) {
  const value = Number.parseInt(text || "", 10);
  return Number.isInteger(value) && value > 0 ? Math.min(value, 20) : fallback;
}

/** Render a search box into `host` (an element); `endpoint` is the service origin. */
export function mount(host, { endpoint = "", k = null, label = null, lang = null } = {}) {
  if (host.shadowRoot && host.shadowRoot.querySelector(".ps")) return host.shadowRoot;
  const root = host.shadowRoot || host.attachShadow({ mode: "open" });
  applyStyles(root);
  // data-lang on the element (or the loader's option) wins; else the browser's languages.
  const explicit = host.getAttribute("data-lang") || lang;
  const t = translator(chooseLanguage(explicit));
  // An explicit language travels to the pages the widget links to; else they choose as it did.
  const linkLang = explicit ? t.lang : null;
  const client = createClient(endpoint, { lang: linkLang });
  const passages = positiveInt(k ?? host.getAttribute("data-k"), 5);
  const labelText = label ?? host.getAttribute("data-label") ?? t("widget.label");

  const input = el("input", { id: "ps-q", type: "search", name: "q", autocomplete: "off", required: true });
  const form = el(
    "form",
    { attrs: { role: "search" } },
    el("label", { htmlFor: "ps-q" }, labelText),
    el("div", { className: "row" }, input, el("button", { type: "submit" }, t("form.submit"))),
  );
  const status = el("p", { className: "status", attrs: { role: "status", "aria-live": "polite" } });
  const results = el("div", { className: "results", attrs: { "aria-busy": "false" } });
  const moreLink = el(
    "a",
    { href: `${client.base}/${linkLang ? `?lang=${linkLang}` : ""}`, target: "_blank", rel: "noopener" },
    t("widget.more"),
  );
  const more = el("p", { className: "more" }, moreLink);
  root.append(el("div", { className: "ps", attrs: { part: "container", lang: t.lang } }, form, status, results, more));

  let generation = 0;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const query = input.value.trim();
    if (!query) return;
    const mine = ++generation;
    const moreParams = new URLSearchParams({ q: query });
    if (linkLang) moreParams.set("lang", linkLang);
    moreLink.href = `${client.base}/?${moreParams}`;
    status.textContent = t("status.searching");
    results.setAttribute("aria-busy", "true");
    const [ask, search] = await Promise.allSettled([client.ask(query), client.search(query, { k: passages })]);
    if (mine !== generation) return;
    const hasResults = search.status === "fulfilled" && search.value.hits.length > 0;
    const context = { client, query, terms: queryTerms(query), newTab: true, t, hasResults };
    // As on the search page, an answer card only for a query that asks something, not a bare keyword.
    const asks = search.status !== "fulfilled" || search.value.asks_question !== false;
    const nodes = [];
    if (asks) nodes.push(ask.status === "fulfilled" ? renderAnswer(ask.value, context) : renderError(ask.reason, t));
    if (search.status === "fulfilled") nodes.push(renderHits(search.value.hits, context));
    else if (ask.status === "fulfilled") nodes.push(renderError(search.reason, t)); // else already said once
    results.replaceChildren(...nodes);
    results.setAttribute("aria-busy", "false");
    const n = search.status === "fulfilled" ? search.value.hits.length : 0;
    if (!asks) status.textContent = t("status.widgetResults", { passages: t.passages(n) });
    else
      status.textContent =
        ask.status === "fulfilled" && !ask.value.abstained
          ? t("status.widgetAnswer", { n })
          : t("status.widgetNoAnswer", { n });
  });
  return root;
}
