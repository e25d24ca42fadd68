// Rendering of an answer and of ranked passages, shared by the page and the widget.
import { dateElement, el, highlightTerms, webUrl } from "./dom.js";
import { feedbackControls } from "./feedback.js";
import { translator } from "./i18n.js";

const ENGLISH = translator("en");

function linkProps(href, newTab) {
  return newTab ? { href, target: "_blank", rel: "noopener" } : { href };
}

/** The answer card for an /ask result: the cited sentence and its source, or a plain abstention. */
export function renderAnswer(result, { client, query, newTab = false, t = ENGLISH }) {
  const answer = result.answer;
  if (result.abstained || !answer) {
    return el(
      "section",
      { className: "answer abstained", attrs: { "aria-label": t("answer.label") } },
      el("h2", {}, t("answer.none")),
      el("p", { className: "abstain-text" }, t("answer.noneText")),
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
      dateElement(answer.date, t),
      ...originalLink(answer.url, t("answer.original")),
      el("span", { className: "confidence" }, t("answer.confidence", { percent })),
    ),
    keywordOnlyNote(result, t),
    feedbackControls({ client, queryId: result.query_id, lang: t.lang }),
  );
}

/** " · original page" for a web article's own address (http(s) only), or nothing. */
export function originalLink(url, label) {
  const href = webUrl(url);
  return href ? [" · ", el("a", { href, className: "original-link", rel: "noopener" }, label)] : [];
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

/** A short error notice for a failed request. */
export function renderError(error, t = ENGLISH) {
  const text = error && error.message ? error.message : String(error);
  return el("p", { className: "error", attrs: { role: "alert" } }, t("error.prefix", { message: text }));
}
