// The search page: the address holds the search (q, from, to), so results can be shared,
// bookmarked and walked with the back button; the form only changes the address.
import { createClient } from "./api.js";
import { el, queryTerms } from "./dom.js";
import { pageLanguage, renderSwitch, translateDocument, translator } from "./i18n.js";
import { renderAnswer, renderError, renderHits } from "./results.js";

const PASSAGES = 10;
const t = translator(pageLanguage());
translateDocument(t);
renderSwitch(document.getElementById("lang-switch"), t, el);
const BASE_TITLE = t("page.title");
document.title = BASE_TITLE;
// An explicit ?lang= choice is kept in every address the page makes.
const explicitLang = new URLSearchParams(window.location.search).get("lang") ? t.lang : null;
const client = createClient("", { lang: explicitLang });

const form = document.getElementById("search-form");
const input = document.getElementById("q");
const dateFrom = document.getElementById("from");
const dateTo = document.getElementById("to");
const status = document.getElementById("status");
const results = document.getElementById("results");

function stateFromUrl() {
  const params = new URLSearchParams(window.location.search);
  return { q: (params.get("q") || "").trim(), from: params.get("from") || "", to: params.get("to") || "" };
}

function stateFromForm() {
  return { q: input.value.trim(), from: dateFrom.value, to: dateTo.value };
}

function urlFor(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  if (state.from) params.set("from", state.from);
  if (state.to) params.set("to", state.to);
  if (explicitLang) params.set("lang", explicitLang);
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

function fillForm(state) {
  input.value = state.q;
  dateFrom.value = state.from;
  dateTo.value = state.to;
}

function summary(ask, search) {
  const passages = t.passages(search ? search.hits.length : 0);
  if (!ask) return t("status.askFailed", { passages });
  return ask.abstained || !ask.answer ? t("status.noAnswer", { passages }) : t("status.answer", { passages });
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
  const options = { dateFrom: state.from, dateTo: state.to };
  const [ask, search] = await Promise.allSettled([
    client.ask(state.q, options),
    client.search(state.q, { ...options, k: PASSAGES }),
  ]);
  if (mine !== generation) return;
  const terms = queryTerms(state.q);
  const context = { client, query: state.q, terms, t };
  const nodes = [];
  if (ask.status === "fulfilled") nodes.push(renderAnswer(ask.value, context));
  else nodes.push(renderError(ask.reason, t));
  if (search.status === "fulfilled") nodes.push(renderHits(search.value.hits, { ...context, queryId: search.value.query_id }));
  else if (ask.status === "fulfilled") nodes.push(renderError(search.reason, t));
  results.replaceChildren(...nodes);
  results.setAttribute("aria-busy", "false");
  status.textContent =
    ask.status === "rejected" && search.status === "rejected"
      ? t("status.failed")
      : summary(ask.status === "fulfilled" ? ask.value : null, search.status === "fulfilled" ? search.value : null);
}

function datesAreOrdered() {
  const ordered = !dateFrom.value || !dateTo.value || dateFrom.value <= dateTo.value;
  dateTo.setCustomValidity(ordered ? "" : t("form.datesOrder"));
  return ordered;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!datesAreOrdered() || !form.reportValidity()) return;
  const state = stateFromForm();
  const url = urlFor(state);
  if (url !== `${window.location.pathname}${window.location.search}`) window.history.pushState(null, "", url);
  run(state);
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
