// DOM building and text helpers shared by the page, the article view and the widget.
// Every piece of data reaches the document as a text node: nothing here parses HTML,
// so a query or passage containing markup is shown as the characters it is.

/**
 * Create an element. `props` sets properties (className, href, id, ...) except `attrs`,
 * which holds attributes set with setAttribute (aria-*, data-*); children are nodes or strings.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { attrs, ...rest } = props;
  Object.assign(node, rest);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

// Words too common to be worth highlighting in a passage.
const STOPWORDS = new Set(
  ("a an and are as at be been but by can could did do does for from had has have how i in into is it its " +
    "of on or our over she so than that the their them then there these they this to too was we were what " +
    "when where which who whom why will with would you your " +
    // Russian function and question words.
    "без был была были было быть все всех где для его если есть еще или как какая какие какой когда кто между " +
    "над она они оно при про сколько так также там тем только что чтобы это этот эти")
    .split(" "),
);

// Russian inflects: "Шанхае" should mark "Шанхай". A Cyrillic term of six letters or more is
// matched by its first letters without the last two (a rough stem); ё is read as е throughout.
function normalise(word) {
  return word.toLocaleLowerCase().replaceAll("ё", "е");
}

function stemPrefix(term) {
  return /[а-я]/.test(term) && term.length >= 6 ? term.slice(0, -2) : term;
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

/** The distinct, lower-cased content words of a query, longest first. */
export function queryTerms(query) {
  const terms = new Set();
  for (const match of (query || "").matchAll(WORD)) {
    const term = normalise(match[0]);
    if (term.length >= 2 && !STOPWORDS.has(term)) terms.add(term);
  }
  return [...terms].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
}

// A passage word matches a term exactly, or by prefix for terms long enough that the prefix
// is meaningful ("accelerator" marks "accelerators"; "art" does not mark "article").
function matchesTerm(word, terms) {
  const lower = normalise(word);
  return terms.some((term) => lower === term || (term.length >= 4 && lower.startsWith(stemPrefix(term))));
}

/** `text` as a fragment of text nodes, with words matching `terms` wrapped in <mark>. */
export function highlightTerms(text, terms) {
  const fragment = document.createDocumentFragment();
  if (!terms.length) {
    fragment.append(text);
    return fragment;
  }
  let last = 0;
  for (const match of text.matchAll(WORD)) {
    if (!matchesTerm(match[0], terms)) continue;
    if (match.index > last) fragment.append(text.slice(last, match.index));
    fragment.append(el("mark", { className: "term" }, match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) fragment.append(text.slice(last));
  return fragment;
}

/** `url` if it is an http(s) address, else null: an article's original page must never be a javascript: link. */
export function webUrl(url) {
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

const DATE_FORMAT = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

/** A <time> for an ISO day, or the word "undated", in the translator's language (English without one). */
export function dateElement(isoDay, t = null) {
  if (!isoDay) return el("span", { className: "date undated" }, t ? t("date.undated") : "undated");
  const parsed = new Date(`${isoDay}T00:00:00Z`);
  const format = t ? t.date : DATE_FORMAT;
  const label = Number.isNaN(parsed.getTime()) ? isoDay : format.format(parsed);
  return el("time", { className: "date", dateTime: isoDay }, label);
}

const DAY_MS = 86400000;

/** How long ago an ISO day was, in the largest whole unit ("1 year ago", "3 месяца назад"); null if undated. */
export function ageText(isoDay, t, today = new Date()) {
  if (!isoDay || !t || !t.age) return null;
  const day = new Date(`${isoDay}T00:00:00Z`);
  if (Number.isNaN(day.getTime())) return null;
  const now = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate());
  const days = Math.round((now - day.getTime()) / DAY_MS);
  if (days < 0) return null;
  // Calendar months between the two days, so "1 year ago" starts on the anniversary.
  const months =
    (today.getFullYear() - day.getUTCFullYear()) * 12 + (today.getMonth() - day.getUTCMonth()) - (today.getDate() < day.getUTCDate() ? 1 : 0);
  if (months >= 12) return t.age.format(-Math.floor(months / 12), "year");
  if (months >= 1) return t.age.format(-months, "month");
  if (days >= 7) return t.age.format(-Math.floor(days / 7), "week");
  return t.age.format(-days, "day");
}

/** An article's date with its age beside it ("1 June 2023 · 3 years ago"); undated as dateElement says. */
export function datedElement(isoDay, t = null) {
  const date = dateElement(isoDay, t);
  const age = ageText(isoDay, t);
  if (!age) return date;
  return el("span", { className: "dated" }, date, " · ", el("span", { className: "age" }, age));
}
