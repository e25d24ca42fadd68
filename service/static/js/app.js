// The search page: the address holds the search (q, from, to, in), so results can be shared,
// bookmarked and walked with the back button; the form and the facet links only change the address.
import { createClient } from "./api.js";
import { el, queryTerms } from "./dom.js";
import { pageLanguage, renderSwitch, translateDocument, translator } from "./i18n.js";
import { renderAnswer, renderArticle, renderArticles, renderError } from "./results.js";

// Articles per page of results; "More results" asks for the next page.
const PAGE = 10;
const LANGS = ["en", "ru", "zh", "other"];
const t = translator(pageLanguage());
translateDocument(t);
renderSwitch(document.getElementById("lang-switch"), t, el);
const BASE_TITLE = t("page.title");
document.title = BASE_TITLE;
// An explicit ?lang= choice (the page's own language) is kept in every address the page makes.
const explicitLang = new URLSearchParams(window.location.search).get("lang") ? t.lang : null;
const client = createClient("", { lang: explicitLang });

const form = document.getElementById("search-form");
const input = document.getElementById("q");
const dateFrom = document.getElementById("from");
const dateTo = document.getElementById("to");
const written = document.getElementById("in");
const status = document.getElementById("status");
const results = document.getElementById("results");

// The articles' language filter is `in` in the page's address: `lang` is the page's own language.
function stateFromUrl() {
  const params = new URLSearchParams(window.location.search);
  const language = params.get("in") || "";
  return {
    q: (params.get("q") || "").trim(),
    from: params.get("from") || "",
    to: params.get("to") || "",
    in: LANGS.includes(language) ? language : "",
    // "search all dates": the dates the query's words name are not read (alldates=1 in the address).
    all: params.get("alldates") === "1",
  };
}

function stateFromForm() {
  return { q: input.value.trim(), from: dateFrom.value, to: dateTo.value, in: written.value, all: false };
}

function urlFor(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  if (state.from) params.set("from", state.from);
  if (state.to) params.set("to", state.to);
  if (state.in) params.set("in", state.in);
  if (state.all) params.set("alldates", "1");
  if (explicitLang) params.set("lang", explicitLang);
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

function fillForm(state) {
  input.value = state.q;
  dateFrom.value = state.from;
  dateTo.value = state.to;
  written.value = state.in;
}

function go(state) {
  const url = urlFor(state);
  if (url !== `${window.location.pathname}${window.location.search}`) window.history.pushState(null, "", url);
  fillForm(state);
  run(state);
}

function summary(ask, search, showAnswer) {
  if (!search.total) return t("status.none");
  const articles = t.articles(search.total);
  if (!showAnswer) return t("status.results", { articles });
  if (!ask) return t("status.askFailed", { articles });
  return ask.abstained || !ask.answer ? t("status.results", { articles }) : t("status.answer", { articles });
}

// A year facet narrows the dates to that calendar year; it is "on" when the dates are exactly that.
function yearRange(year) {
  return { from: `${year}-01-01`, to: `${year}-12-31` };
}

function facetLink(label, count, state, active) {
  const text = count === null ? label : `${label} (${count})`;
  const attrs = active ? { "aria-current": "true" } : {};
  const link = el("a", { href: urlFor(state), className: "facet-link", attrs }, text);
  link.addEventListener("click", (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    go(state);
  });
  return link;
}

function facetRow(className, heading, links) {
  const row = el("p", { className: `facet ${className}` }, el("span", { className: "facet-name" }, heading));
  for (const link of links) row.append(" ", link);
  return row;
}

/** Year and language counts of the query's articles, each a link to the search narrowed to it. */
function renderFacets(facets, state) {
  const yearOn = facets.year.find((f) => f.value !== "undated" && state.from === yearRange(f.value).from && state.to === yearRange(f.value).to);
  const years = [];
  if (state.from || state.to) years.push(facetLink(t("facets.any"), null, { ...state, from: "", to: "" }, false));
  for (const facet of facets.year) {
    if (facet.value === "undated") {
      years.push(el("span", { className: "facet-undated" }, `${t("facets.undated")} (${facet.count})`));
    } else {
      years.push(facetLink(facet.value, facet.count, { ...state, ...yearRange(facet.value) }, facet === yearOn));
    }
  }
  const langs = [];
  if (state.in) langs.push(facetLink(t("facets.any"), null, { ...state, in: "" }, false));
  for (const facet of facets.lang) {
    const known = LANGS.includes(facet.value);
    const name = known ? t(`language.${facet.value}`) : facet.value;
    langs.push(known ? facetLink(name, facet.count, { ...state, in: facet.value }, state.in === facet.value) : el("span", {}, `${name} (${facet.count})`));
  }
  return el(
    "nav",
    { className: "facets", attrs: { "aria-label": t("facets.label") } },
    facetRow("facet-year", t("facets.year"), years),
    facetRow("facet-lang", t("facets.lang"), langs),
  );
}

/** "More results": the next page of articles appended to the list, focus on the first new one. */
function moreButton(search, state, context, list, mine) {
  const button = el("button", { type: "button", className: "load-more" }, t("results.loadMore"));
  let next = search.next_offset;
  const box = el("div", { className: "load-more-box" }, button);
  button.addEventListener("click", async () => {
    button.disabled = true;
    results.setAttribute("aria-busy", "true");
    let page;
    try {
      page = await client.search(state.q, { ...options(state), k: PAGE, offset: next });
    } catch (error) {
      if (mine !== generation) return;
      results.setAttribute("aria-busy", "false");
      button.disabled = false;
      box.querySelector(".error")?.remove();
      box.append(renderError(error, t));
      return;
    }
    if (mine !== generation) return;
    box.querySelector(".error")?.remove();
    const items = page.results.map((result) => renderArticle(result, { ...context, queryId: page.query_id }));
    list.append(...items);
    next = page.next_offset;
    results.setAttribute("aria-busy", "false");
    status.textContent = t("status.more", { articles: t.articles(items.length) });
    if (next === null || next === undefined) box.remove();
    else button.disabled = false;
    const link = items.length ? items[0].querySelector("a.result-link") : null;
    if (link) link.focus();
  });
  return box;
}

function options(state) {
  return { dateFrom: state.from, dateTo: state.to, lang: state.in, group: "article", inferDates: !state.all };
}

function dayLabel(isoDay) {
  return t.date.format(new Date(`${isoDay}T00:00:00Z`));
}

/** What the service read from the query's words about time, with a link to search without it. */
function renderInterpreted(interpreted, state) {
  if (!interpreted || !(interpreted.filter || interpreted.recency)) return null;
  const parts = [];
  if (interpreted.filter && interpreted.date_from && interpreted.date_to) {
    const from = interpreted.date_from;
    const to = interpreted.date_to;
    const wholeYear = from.endsWith("-01-01") && to.endsWith("-12-31") && from.slice(0, 4) === to.slice(0, 4);
    parts.push(wholeYear ? t("time.year", { year: from.slice(0, 4) }) : t("time.range", { from: dayLabel(from), to: dayLabel(to) }));
  }
  if (interpreted.recency) parts.push(t("time.latest"));
  const again = { ...state, all: true };
  const link = el("a", { href: urlFor(again), className: "interpreted-all" }, t("time.all"));
  link.addEventListener("click", (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    go(again);
  });
  return el(
    "p",
    { className: "interpreted", attrs: { "aria-label": t("time.label"), title: interpreted.text || "" } },
    el("span", { className: "interpreted-what" }, parts.join(" · ")),
    " — ",
    link,
  );
}

// Each run is numbered so a slow response for an old search never overwrites a newer one.
let generation = 0;

async function run(state) {
  const mine = ++generation;
  if (!state.q) {
    document.title = BASE_TITLE;
    results.replaceChildren();
    status.textContent = "";
    return;
  }
  document.title = `${state.q}: ${BASE_TITLE}`;
  results.setAttribute("aria-busy", "true");
  status.textContent = t("status.searching");
  const filters = { dateFrom: state.from, dateTo: state.to, lang: state.in, inferDates: !state.all };
  // Both at once, so a question's answer costs no extra wait; the card is shown only if the
  // query asks something (the search response says so), never for a bare keyword.
  const [ask, search] = await Promise.allSettled([
    client.ask(state.q, filters),
    client.search(state.q, { ...options(state), k: PAGE }),
  ]);
  if (mine !== generation) return;
  const context = { client, query: state.q, terms: queryTerms(state.q), t };
  const nodes = [];
  if (search.status === "fulfilled") {
    const found = search.value;
    const showAnswer = found.asks_question;
    context.hasResults = found.results.length > 0;
    context.queryId = found.query_id;
    const chip = renderInterpreted(found.interpreted, state);
    if (chip) nodes.push(chip);
    if (showAnswer) nodes.push(ask.status === "fulfilled" ? renderAnswer(ask.value, context) : renderError(ask.reason, t));
    if (found.results.length || state.from || state.to || state.in) nodes.push(renderFacets(found.facets, state));
    const section = renderArticles(found, context);
    nodes.push(section);
    const list = section.querySelector("ol.results-list");
    if (list && found.next_offset !== null && found.next_offset !== undefined) {
      section.append(moreButton(found, state, context, list, mine));
    }
    status.textContent = summary(ask.status === "fulfilled" ? ask.value : null, found, showAnswer);
  } else {
    // Without the search there is no list; an answer the service did give is still shown.
    if (ask.status === "fulfilled" && !ask.value.abstained && ask.value.answer) nodes.push(renderAnswer(ask.value, context));
    nodes.push(renderError(search.reason, t));
    status.textContent = t("status.failed");
  }
  results.replaceChildren(...nodes);
  results.setAttribute("aria-busy", "false");
}

function datesAreOrdered() {
  const ordered = !dateFrom.value || !dateTo.value || dateFrom.value <= dateTo.value;
  dateTo.setCustomValidity(ordered ? "" : t("form.datesOrder"));
  return ordered;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!datesAreOrdered() || !form.reportValidity()) return;
  go(stateFromForm());
});

dateFrom.addEventListener("change", datesAreOrdered);
dateTo.addEventListener("change", datesAreOrdered);

window.addEventListener("popstate", () => {
  const state = stateFromUrl();
  fillForm(state);
  run(state);
});

const initial = stateFromUrl();
fillForm(initial);
run(initial);
