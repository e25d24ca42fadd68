// Rendering of an answer and of ranked passages, shared by the page and the widget.
import { dateElement, el, highlightTerms } from "./dom.js";

function linkProps(href, newTab) {
  return newTab ? { href, target: "_blank", rel: "noopener" } : { href };
}

// How the page introduces the answerer's own reason for abstaining (the one string to translate for it).
const ABSTAIN_REASON_LABEL = "Why: ";

/** The answer card for an /ask result: the cited sentence and its source, or a plain abstention. */
export function renderAnswer(result, { client, query, newTab = false }) {
  const answer = result.answer;
  if (result.abstained || !answer) {
    return el(
      "section",
      { className: "answer abstained", attrs: { "aria-label": "Answer" } },
      el("h2", {}, "No answer found"),
      el(
        "p",
        { className: "abstain-text" },
        "The articles do not answer this question. The closest passages are listed below; they may still help.",
      ),
      ...(result.reason ? [el("p", { className: "abstain-reason" }, `${ABSTAIN_REASON_LABEL}${result.reason}.`)] : []),
    );
  }
  const href = client.readHref(answer.article_id, answer.start, answer.end, query);
  const percent = Math.round(Math.max(0, Math.min(1, Number(answer.confidence) || 0)) * 100);
  return el(
    "section",
    { className: "answer", attrs: { "aria-label": "Answer" } },
    el("h2", {}, "Answer"),
    el("blockquote", { className: "answer-text", cite: href }, el("p", {}, answer.text)),
    el(
      "p",
      { className: "citation" },
      "Source: ",
      el(
        "a",
        { ...linkProps(href, newTab), className: "citation-link", attrs: { "data-article-id": answer.article_id } },
        answer.title,
      ),
      ", ",
      dateElement(answer.date),
      el("span", { className: "confidence" }, ` · confidence ${percent}%`),
    ),
  );
}

/** The ranked passages of a /search result as an ordered list, query terms marked. */
export function renderHits(hits, { client, query, terms, newTab = false, heading = "Passages" }) {
  const section = el("section", { className: "passages", attrs: { "aria-label": heading } }, el("h2", {}, heading));
  if (!hits.length) {
    section.append(el("p", { className: "empty" }, "No passages match."));
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
        el("p", { className: "meta" }, dateElement(hit.date)),
        el("p", { className: "passage-text" }, highlightTerms(hit.text, terms)),
      ),
    );
  }
  section.append(list);
  return section;
}

/** A short error notice for a failed request. */
export function renderError(error) {
  const text = error && error.message ? error.message : String(error);
  return el("p", { className: "error", attrs: { role: "alert" } }, `Search failed: ${text}`);
}
