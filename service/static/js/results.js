// Rendering of an answer and of ranked passages, shared by the page and the widget.
import { dateElement, datedElement, el, highlightTerms, webUrl } from "./dom.js";
import { feedbackControls } from "./feedback.js";
import { translator } from "./i18n.js";

const ENGLISH = translator("en");

function linkProps(href, newTab) {
  return newTab ? { href, target: "_blank", rel: "noopener" } : { href };
}

/** The answer card for an /ask result: the cited sentence and its source, or a plain abstention. */
export function renderAnswer(result, { client, query, newTab = false, t = ENGLISH, hasResults = true }) {
  const answer = result.answer;
  if (result.abstained || !answer) {
    // The one place the page says there is no answer; the status line only counts results.
    const text = hasResults ? `${t("answer.noneText")} ${t("answer.noneMore")}` : t("answer.noneText");
    return el(
      "section",
      { className: "answer abstained", attrs: { "aria-label": t("answer.label") } },
      el("h2", {}, t("answer.none")),
      el("p", { className: "abstain-text" }, text),
      result.reason ? el("p", { className: "abstain-reason" }, t("answer.reason", { reason: t.reason(result.reason) })) : null,
      keywordOnlyNote(result, t),
      feedbackControls({ client, queryId: result.query_id, lang: t.lang }),
    );
  }
  const href = client.readHref(answer.article_id, answer.start, answer.end, query);
  const percent = Math.round(Math.max(0, Math.min(1, Number(answer.confidence) || 0)) * 100);
  return el(
    "section",
    { className: "answer", attrs: { "aria-label": t("answer.label") } },
    el("h2", {}, t("answer.heading")),
    el("blockquote", { className: "answer-text", cite: href }, el("p", {}, answer.text)),
    el(
      "p",
      { className: "citation" },
      t("answer.source"),
      el(
        "a",
        { ...linkProps(href, newTab), className: "citation-link", attrs: { "data-article-id": answer.article_id } },
        answer.title,
      ),
      ", ",
      datedElement(answer.date, t),
      ...originalLink(answer.url, t("answer.original")),
      el("span", { className: "confidence" }, t("answer.confidence", { percent })),
    ),
    alsoIn(answer.also_in, { client, query, newTab, t }),
    keywordOnlyNote(result, t),
    feedbackControls({ client, queryId: result.query_id, lang: t.lang }),
  );
}

/** " · original page" for a web article's own address (http(s) only), or nothing. */
export function originalLink(url, label) {
  const href = webUrl(url);
  return href ? [" · ", el("a", { href, className: "original-link", rel: "noopener" }, label)] : [];
}

/**
 * "Also in: English" — the other versions of a result's story (a translation, a repost), each a
 * link to its own article view, named by its language; nothing for a story told once.
 */
export function alsoIn(versions, { client, query, newTab = false, t = ENGLISH }) {
  if (!Array.isArray(versions) || !versions.length) return null;
  const line = el("p", { className: "also-in" }, el("span", { className: "also-in-label" }, t("results.alsoIn")));
  versions.forEach((version, index) => {
    const known = ["en", "ru", "zh"].includes(version.lang);
    const name = t(`language.in.${known ? version.lang : "other"}`);
    const attrs = { "data-article-id": version.article_id, title: version.title };
    if (known) attrs.hreflang = version.lang;
    line.append(
      index ? ", " : " ",
      el("a", { ...linkProps(client.readHref(version.article_id, null, null, query), newTab), className: "also-in-link", attrs }, name),
    );
  });
  return line;
}

/** A note when the model did not rank the query (a language it does not cover). */
export function keywordOnlyNote(result, t = ENGLISH) {
  if (!result || result.dense_used !== false || !result.query_lang) return null;
  const language = t(`language.${result.query_lang}`);
  return el("p", { className: "keyword-only", attrs: { "data-query-lang": result.query_lang } }, t("keywordOnly", { language }));
}

/** The ranked passages of a /search result as an ordered list, query terms marked. */
export function renderHits(hits, { client, query, terms, newTab = false, heading = null, t = ENGLISH, queryId = null }) {
  heading = heading ?? t("hits.heading");
  const section = el("section", { className: "passages", attrs: { "aria-label": heading } }, el("h2", {}, heading));
  if (!hits.length) {
    section.append(el("p", { className: "empty" }, t("hits.empty")));
    return section;
  }
  const list = el("ol", { className: "hits" });
  for (const hit of hits) {
    const href = client.readHref(hit.article_id, hit.start, hit.end, query);
    list.append(
      el(
        "li",
        { className: "hit", attrs: { "data-passage-id": hit.passage_id } },
        el("h3", { className: "hit-title" }, el("a", { ...linkProps(href, newTab), className: "hit-link" }, hit.title)),
        el(
          "p",
          { className: "meta" },
          dateElement(hit.date, t),
          ...originalLink(hit.url, t("hits.original")),
        ),
        el("p", { className: "passage-text" }, highlightTerms(hit.text, terms)),
        feedbackControls({ client, queryId, articleId: hit.article_id, lang: t.lang }),
      ),
    );
  }
  section.append(list);
  return section;
}

// Fields a 400 answer can blame, each with its own sentence; any other field gets the general one.
const FIELD_ERRORS = new Set(["q", "question", "date_from", "date_to", "k", "offset", "lang", "mode", "group"]);

/** A failed request as one sentence in the translator's language; never the API's codes or wording. */
export function errorMessage(error, t = ENGLISH) {
  const status = error && Number.isInteger(error.status) ? error.status : -1;
  if (status === 0) return t("error.unreachable");
  if (status === 400 && error.field && FIELD_ERRORS.has(error.field)) return t(`error.field.${error.field}`);
  if (status === 400 || status === 413 || status === 415) return t("error.invalid");
  if (status === 404) return t("error.notFound");
  if (status === 429 || status === 503) return t("error.busy");
  return t("error.failed");
}

/** A short error notice for a failed request. */
export function renderError(error, t = ENGLISH) {
  return el("p", { className: "error", attrs: { role: "alert" } }, errorMessage(error, t));
}

/** `text` (which starts at body offset `base`) as text nodes, with the `spans` ([start, end] body offsets) in <mark>. */
export function markSpans(text, base, spans) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const [start, end] of spans || []) {
    const from = start - base;
    const to = end - base;
    if (!(from >= last && to > from && to <= text.length)) continue; // out of order or outside: left unmarked
    if (from > last) fragment.append(text.slice(last, from));
    fragment.append(el("mark", { className: "term" }, text.slice(from, to)));
    last = to;
  }
  if (last < text.length) fragment.append(text.slice(last));
  return fragment;
}

function snippetNode(snippet) {
  return el(
    "p",
    { className: "snippet", attrs: { "data-start": snippet.start, "data-end": snippet.end } },
    snippet.cut_before ? "… " : null,
    markSpans(snippet.text, snippet.start, snippet.highlights),
    snippet.cut_after ? " …" : null,
  );
}

/** One story of a grouped /search result: title, date, language, snippet, the full passage a click away, its other matches and versions. */
export function renderArticle(result, { client, query, newTab = false, t = ENGLISH, queryId = null }) {
  const href = client.readHref(result.article_id, result.start, result.end, query);
  const item = el(
    "li",
    { className: "result", attrs: { "data-article-id": result.article_id, "data-passage-id": result.passage_id } },
    el("h3", { className: "result-title" }, el("a", { ...linkProps(href, newTab), className: "result-link" }, result.title)),
    el(
      "p",
      { className: "meta" },
      datedElement(result.date, t),
      result.lang ? el("span", { className: "result-lang" }, ` · ${t(`language.${result.lang}`)}`) : null,
      ...originalLink(result.url, t("hits.original")),
    ),
    snippetNode(result.snippet),
    el("p", { className: "full-passage" }, el("a", { ...linkProps(href, newTab), className: "passage-link" }, t("results.fullPassage"))),
    alsoIn(result.also_in, { client, query, newTab, t }),
    feedbackControls({ client, queryId, articleId: result.article_id, lang: t.lang }),
  );
  if (result.more_count > 0) item.append(morePassages(result, { client, query, newTab, t }));
  return item;
}

// The article's other matching passages, collapsed behind a button that expands them in place.
function morePassages(result, { client, query, newTab, t }) {
  const listId = `more-${result.rank}-${result.article_id.replace(/[^\w-]/g, "_")}`;
  const list = el("ol", { className: "more-passages", id: listId, hidden: true });
  for (const match of result.more) {
    const href = client.readHref(result.article_id, match.start, match.end, query);
    list.append(
      el(
        "li",
        { className: "more-passage", attrs: { "data-passage-id": match.passage_id } },
        snippetNode(match.snippet),
        el("p", { className: "full-passage" }, el("a", { ...linkProps(href, newTab), className: "passage-link" }, t("results.fullPassage"))),
      ),
    );
  }
  const button = el(
    "button",
    { type: "button", className: "more-toggle", attrs: { "aria-expanded": "false", "aria-controls": listId } },
    t.morePassages(result.more_count),
  );
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    list.hidden = !open;
    button.textContent = open ? t("results.fewerPassages") : t.morePassages(result.more_count);
  });
  return el("div", { className: "more-block" }, button, list);
}

/** The grouped /search result: one list item per article, or a plain sentence when none matches. */
export function renderArticles(response, context) {
  const t = context.t || ENGLISH;
  const heading = t("results.heading");
  const section = el("section", { className: "articles", attrs: { "aria-label": heading } }, el("h2", {}, heading));
  if (!response.results.length) {
    section.append(el("p", { className: "empty" }, t("results.empty")));
    return section;
  }
  const list = el("ol", { className: "results-list" });
  for (const result of response.results) list.append(renderArticle(result, context));
  section.append(list);
  return section;
}
