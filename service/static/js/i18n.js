// The page's, article view's and widget's strings in English and Russian, and how a language
// is chosen: a `lang` URL parameter (or the widget's data-lang) first, then the browser's
// preferred languages (what it sends as Accept-Language), then English.

export const LANGUAGES = ["en", "ru"];

const CATALOGUE = {
  en: {
    "page.title": "Polysearch: university news",
    "page.skip": "Skip to results",
    "page.tagline": "Search and questions over the university news archive",
    "page.heading": "Ask the news archive",
    "form.label": "Question or search words",
    "form.placeholder": "e.g. Where will the business accelerator be located?",
    "form.submit": "Search",
    "form.dates": "Published between (optional)",
    "form.from": "From",
    "form.to": "To",
    "form.datesOrder": "The end date must not be before the start date.",
    "noscript": "Results need JavaScript. The same search is available as JSON at /search?q=… and /ask?q=….",
    "switch.label": "Language",
    "status.searching": "Searching…",
    "status.failed": "Search failed.",
    "status.answer": "Answer found, with {passages}.",
    "status.noAnswer": "The articles do not answer this question. Showing the {passages} closest to it.",
    "status.askFailed": "Showing {passages}; the answer could not be fetched.",
    "status.widgetAnswer": "Answer found, with {n} passages.",
    "status.widgetNoAnswer": "No answer found; {n} closest passages.",
    "passages.one": "{n} passage",
    "passages.many": "{n} passages",
    "answer.label": "Answer",
    "answer.heading": "Answer",
    "answer.none": "No answer found",
    "answer.noneText": "The articles do not answer this question. The closest passages are listed below; they may still help.",
    "answer.reason": "Why: {reason}.",
    "answer.source": "Source: ",
    "answer.confidence": " · confidence {percent}%",
    "answer.original": "original page",
    "hits.heading": "Passages",
    "hits.empty": "No passages match.",
    "hits.original": "Original page",
    "keywordOnly": "Read as {language}: the search model does not cover this language, so passages are ranked by matching words alone.",
    "language.ru": "Russian",
    "language.en": "English",
    "language.zh": "Chinese",
    "language.other": "another language",
    "error.prefix": "Search failed: {message}",
    "date.undated": "undated",
    "read.title": "Article: Polysearch",
    "read.skip": "Skip to article",
    "read.back": "← Back to search",
    "read.loading": "Loading article…",
    "read.notFound": "Article not found",
    "read.failed": "The article could not be loaded",
    "read.invalidSpan": "The cited span is not inside this article, so the whole article is shown unmarked.",
    "read.cited": "The cited text is highlighted. ",
    "read.jump": "Jump to it",
    "read.loadedCited": "Article loaded; the cited text is highlighted.",
    "read.loaded": "Article loaded.",
    "widget.label": "Search university news",
    "widget.more": "Open the full search page",
  },
  ru: {
    "page.title": "Polysearch: новости университета",
    "page.skip": "Перейти к результатам",
    "page.tagline": "Поиск и ответы на вопросы по архиву новостей университета",
    "page.heading": "Спросите архив новостей",
    "form.label": "Вопрос или слова для поиска",
    "form.placeholder": "например: Когда открылось представительство в Шанхае?",
    "form.submit": "Найти",
    "form.dates": "Дата публикации (необязательно)",
    "form.from": "С",
    "form.to": "По",
    "form.datesOrder": "Конечная дата не может быть раньше начальной.",
    "noscript": "Для результатов нужен JavaScript. Тот же поиск доступен в JSON: /search?q=… и /ask?q=….",
    "switch.label": "Язык",
    "status.searching": "Идёт поиск…",
    "status.failed": "Поиск не удался.",
    "status.answer": "Ответ найден; {passages}.",
    "status.noAnswer": "В статьях нет ответа на этот вопрос. Показаны ближайшие к нему фрагменты: {passages}.",
    "status.askFailed": "Показаны фрагменты ({passages}); ответ получить не удалось.",
    "status.widgetAnswer": "Ответ найден; фрагментов: {n}.",
    "status.widgetNoAnswer": "Ответ не найден; ближайших фрагментов: {n}.",
    "passages.one": "{n} фрагмент",
    "passages.few": "{n} фрагмента",
    "passages.many": "{n} фрагментов",
    "answer.label": "Ответ",
    "answer.heading": "Ответ",
    "answer.none": "Ответ не найден",
    "answer.noneText": "В статьях нет ответа на этот вопрос. Ниже — ближайшие фрагменты; возможно, они помогут.",
    "answer.reason": "Причина: {reason}.",
    "answer.source": "Источник: ",
    "answer.confidence": " · уверенность {percent}%",
    "answer.original": "исходная страница",
    "hits.heading": "Фрагменты",
    "hits.empty": "Ничего не найдено.",
    "hits.original": "Исходная страница",
    "keywordOnly": "Запрос прочитан как {language}: модель поиска не знает этого языка, поэтому фрагменты упорядочены только по совпадению слов.",
    "language.ru": "русский",
    "language.en": "английский",
    "language.zh": "китайский",
    "language.other": "другой язык",
    "error.prefix": "Поиск не удался: {message}",
    "date.undated": "без даты",
    "read.title": "Статья: Polysearch",
    "read.skip": "Перейти к статье",
    "read.back": "← Назад к поиску",
    "read.loading": "Загрузка статьи…",
    "read.notFound": "Статья не найдена",
    "read.failed": "Не удалось загрузить статью",
    "read.invalidSpan": "Цитируемый фрагмент не входит в эту статью, поэтому статья показана без выделения.",
    "read.cited": "Цитируемый текст выделен. ",
    "read.jump": "Перейти к нему",
    "read.loadedCited": "Статья загружена; цитируемый текст выделен.",
    "read.loaded": "Статья загружена.",
    "widget.label": "Поиск по новостям университета",
    "widget.more": "Открыть полную страницу поиска",
  },
};

// The answerer's reasons for not answering (the /ask `reason` field) are English sentences
// such as "no passage mentions 'tuition fee'"; each known form has its translation here, and a
// reason of another form is shown as the service wrote it.
const REASONS = {
  en: [],
  ru: [
    [/^no passage mentions (.+)$/i, "ни один фрагмент не упоминает $1"],
    [/^no passage answers (.+)$/i, "ни один фрагмент не отвечает на $1"],
    [/^nothing in the articles (?:supports|answers) (?:an answer|this question)\.?$/i, "в статьях нет ничего, что подтверждало бы ответ"],
    [/^no sentence mentions (.+) together with the rest of the question$/i, "ни одно предложение не упоминает $1 вместе с остальным вопросом"],
    [/^the closest passages give no date for this question$/i, "ближайшие фрагменты не называют дату"],
    [/^the closest passages give no number for this question$/i, "ближайшие фрагменты не называют число"],
    [/^the closest passages give no person's name for this question$/i, "ближайшие фрагменты не называют человека"],
    [/^the closest passages give no place for this question$/i, "ближайшие фрагменты не называют место"],
    [/^the closest passages give no (.+) for this question$/i, "ближайшие фрагменты не дают ответа нужного вида"],
    [/^the closest passages do not match the question closely enough$/i, "ближайшие фрагменты недостаточно близки к вопросу"],
  ],
};

function supported(tag) {
  const primary = String(tag || "").toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.includes(primary) ? primary : null;
}

/** The language to speak: an explicit choice if supported, else the browser's first supported preference, else English. */
export function chooseLanguage(explicit = null, preferred = navigator.languages || [navigator.language]) {
  const chosen = supported(explicit);
  if (chosen) return chosen;
  for (const tag of preferred) {
    const lang = supported(tag);
    if (lang) return lang;
  }
  return "en";
}

/** The page's language from its address (`?lang=ru`) or the browser. */
export function pageLanguage() {
  return chooseLanguage(new URLSearchParams(window.location.search).get("lang"));
}

/** A translator for `lang`: `t("key", {name: value})`. */
export function translator(lang) {
  const strings = CATALOGUE[lang] || CATALOGUE.en;
  const t = (key, vars = {}) => {
    const template = strings[key] ?? CATALOGUE.en[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
  };
  t.lang = lang;
  t.passages = (n) => t(pluralKey(lang, n), { n });
  t.reason = (reason) => {
    for (const [pattern, template] of REASONS[lang] || []) {
      if (pattern.test(reason)) return String(reason).replace(pattern, template);
    }
    return reason;
  };
  t.date = new Intl.DateTimeFormat(lang === "ru" ? "ru-RU" : "en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  });
  return t;
}

function pluralKey(lang, n) {
  if (lang !== "ru") return n === 1 ? "passages.one" : "passages.many";
  const rule = new Intl.PluralRules("ru-RU").select(n);
  return rule === "one" ? "passages.one" : rule === "few" ? "passages.few" : "passages.many";
}

/** Translate a document's static text: `data-i18n` (text), `data-i18n-placeholder`, `data-i18n-title`. */
export function translateDocument(t, root = document) {
  document.documentElement.lang = t.lang;
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.getAttribute("data-i18n"));
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) {
    node.setAttribute("placeholder", t(node.getAttribute("data-i18n-placeholder")));
  }
}

/** The visible language switch: links to this address with `lang` set, the current one marked. */
export function renderSwitch(container, t, makeNode) {
  const nodes = LANGUAGES.map((lang) => {
    const url = new URL(window.location.href);
    url.searchParams.set("lang", lang);
    const name = lang === "ru" ? "Русский" : "English";
    const attrs = { lang, hreflang: lang, "data-lang": lang };
    if (lang === t.lang) attrs["aria-current"] = "true";
    return makeNode("a", { href: `${url.pathname}${url.search}${url.hash}`, className: "lang-link", attrs }, name);
  });
  container.replaceChildren(...nodes);
  container.setAttribute("aria-label", t("switch.label"));
}
