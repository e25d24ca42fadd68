// The article view: the whole article, the cited span marked and scrolled into view.
import { createClient } from "./api.js";
import { datedElement, el } from "./dom.js";
import { pageLanguage, renderSwitch, translateDocument, translator } from "./i18n.js";
import { alsoIn, errorMessage, originalLink } from "./results.js";

const client = createClient("");
const params = new URLSearchParams(window.location.search);
const t = translator(pageLanguage());
// Links to other versions keep the page's explicit language choice, as related news links do.
const readClient = createClient("", { lang: params.get("lang") ? pageLanguage() : null });
translateDocument(t);
renderSwitch(document.getElementById("lang-switch"), t, el);
document.title = t("read.title");
const articleId = decodeURIComponent(window.location.pathname.replace(/^\/read\//, ""));
const query = params.get("q") || "";

const articleNode = document.getElementById("article");
const title = document.getElementById("article-title");
const meta = document.getElementById("article-meta");
const note = document.getElementById("cite-note");
const bodyNode = document.getElementById("article-body");
const status = document.getElementById("status");
const back = document.getElementById("back-link");

function requestedSpan(bodyLength) {
  const start = Number(params.get("start"));
  const end = Number(params.get("end"));
  if (!params.has("start") || !params.has("end")) return null;
  const valid = Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= bodyLength;
  return valid ? { start, end } : "invalid";
}

// Paragraphs are the runs of text between blank lines; each keeps its offsets into the body
// so the citation [start, end) is marked exactly, even when it crosses a paragraph break.
function paragraphs(body) {
  const spans = [];
  const separator = /\n[ \t]*\n\s*/g;
  let last = 0;
  for (const match of body.matchAll(separator)) {
    if (match.index > last) spans.push([last, match.index]);
    last = match.index + match[0].length;
  }
  if (last < body.length) spans.push([last, body.length]);
  return spans;
}

function renderBody(body, span) {
  const marks = [];
  const nodes = paragraphs(body).map(([from, to]) => {
    const p = el("p");
    if (!span || span.end <= from || span.start >= to) {
      p.append(body.slice(from, to));
      return p;
    }
    const markFrom = Math.max(from, span.start);
    const markTo = Math.min(to, span.end);
    const mark = el(
      "mark",
      { className: "cited", attrs: { "data-start": markFrom, "data-end": markTo } },
      body.slice(markFrom, markTo),
    );
    marks.push(mark);
    p.append(body.slice(from, markFrom), mark, body.slice(markTo, to));
    return p;
  });
  bodyNode.replaceChildren(...nodes);
  return marks;
}

function setUpBackLink() {
  const backParams = new URLSearchParams();
  if (query) backParams.set("q", query);
  if (params.get("lang")) backParams.set("lang", t.lang);
  if (backParams.size) back.href = `/?${backParams}`;
  // Coming straight from the results, going back keeps the filters and scroll position.
  back.addEventListener("click", (event) => {
    let fromSearch = false;
    try {
      const referrer = new URL(document.referrer);
      fromSearch = referrer.origin === window.location.origin && referrer.pathname === "/";
    } catch {
      fromSearch = false;
    }
    if (fromSearch && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
}

async function main() {
  setUpBackLink();
  let article;
  try {
    article = await client.article(articleId);
  } catch (error) {
    const missing = error.status === 404;
    title.textContent = missing ? t("read.notFound") : t("read.failed");
    document.title = `${title.textContent}: Polysearch`;
    const searchParams = new URLSearchParams();
    if (params.get("lang")) searchParams.set("lang", t.lang);
    const searchHref = searchParams.size ? `/?${searchParams}` : "/";
    bodyNode.replaceChildren(
      el("p", { className: "not-found-text" }, missing ? t("read.notFoundText") : errorMessage(error, t)),
      el("p", {}, el("a", { href: searchHref, className: "search-link" }, t("read.search"))),
    );
    articleNode.setAttribute("aria-busy", "false");
    return;
  }
  document.title = `${article.title}: Polysearch`;
  title.textContent = article.title;
  meta.replaceChildren(datedElement(article.date, t));
  meta.append(...originalLink(article.url, t("hits.original")));
  // The other versions of the story (a translation, a repost), each a link to its own view.
  const versions = alsoIn(article.also_in, { client: readClient, query, t });
  if (versions) meta.after(versions);
  const span = requestedSpan(article.body.length);
  const marks = renderBody(article.body, span === "invalid" ? null : span);
  articleNode.setAttribute("aria-busy", "false");
  if (span === "invalid") {
    note.textContent = t("read.invalidSpan");
    note.hidden = false;
  } else if (marks.length) {
    marks[0].id = "cited";
    marks[0].tabIndex = -1;
    note.replaceChildren(t("read.cited"), el("a", { href: "#cited" }, t("read.jump")));
    note.hidden = false;
    marks[0].scrollIntoView({ block: "center" });
    marks[0].focus({ preventScroll: true });
    status.textContent = t("read.loadedCited");
  } else {
    status.textContent = t("read.loaded");
  }
}

/** Other stories close to this one, each a link to its own view; the section stays hidden without any. */
async function showRelated() {
  let found;
  try {
    found = await client.related(articleId, 5);
  } catch {
    return; // the article is what was asked for; a failed list is left out, not an error
  }
  if (!found.related.length) return;
  const items = found.related.map((item) => {
    const linkParams = new URLSearchParams();
    if (params.get("lang")) linkParams.set("lang", t.lang);
    const href = `/read/${encodeURIComponent(item.article_id)}${linkParams.size ? `?${linkParams}` : ""}`;
    return el(
      "li",
      { className: "related-item", attrs: { "data-article-id": item.article_id } },
      el("a", { href, className: "related-link" }, item.title),
      " ",
      el("span", { className: "meta" }, datedElement(item.date, t)),
    );
  });
  document.getElementById("related-list").replaceChildren(...items);
  document.getElementById("related").hidden = false;
}

main().then(showRelated);
