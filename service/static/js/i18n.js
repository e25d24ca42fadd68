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
    "form.dates": "Published between, written in (optional)",
    "form.lang": "Articles in",
    "form.anyLang": "Any language",
    "form.lang.en": "English",
    "form.lang.ru": "Russian",
    "form.lang.zh": "Chinese",
    "form.from": "From",
    "form.to": "To",
    "form.datesOrder": "The end date must not be before the start date.",
    "noscript": "Results need JavaScript. The same search is available as JSON at /search?q=… and /ask?q=….",
    "switch.label": "Language",
    "status.searching": "Searching…",
    "status.failed": "Search failed.",
    "status.answer": "Answer found; {articles} found.",
    "status.results": "{articles} found.",
    "status.none": "No article matches.",
    "status.askFailed": "{articles} found; the answer could not be fetched.",
    "status.more": "{articles} more shown.",
    "status.widgetAnswer": "Answer found, with {n} passages.",
    "status.widgetNoAnswer": "No answer found; {n} closest passages.",
    "status.widgetResults": "{passages} found.",
    "passages.one": "{n} passage",
    "passages.many": "{n} passages",
    "articles.one": "{n} article",
    "articles.many": "{n} articles",
    "more.one": "{n} more passage from this article",
    "more.many": "{n} more passages from this article",
    "answer.label": "Answer",
    "answer.heading": "Answer",
    "answer.none": "No answer found",
    "answer.noneText": "The articles do not answer this question.",
    "answer.noneMore": "The closest results are listed below; they may still help.",
    "answer.reason": "Why: {reason}.",
    "answer.source": "Source: ",
    "answer.confidence": " · confidence {percent}%",
    "answer.original": "original page",
    "hits.heading": "Passages",
    "hits.empty": "No passages match.",
    "hits.original": "Original page",
    "results.heading": "Articles",
    "results.empty": "No article matches this search. Try other words, or remove the filters.",
    "results.fullPassage": "Full passage",
    "results.fewerPassages": "Hide the other passages",
    "results.loadMore": "More results",
    "results.alsoIn": "Also in:",
    "facets.label": "Narrow the results",
    "facets.year": "Year:",
    "facets.lang": "Language:",
    "facets.any": "any",
    "facets.undated": "undated",
    "time.year": "Published in {year}",
    "time.range": "Published {from} – {to}",
    "time.latest": "Newest first",
    "time.all": "search all dates",
    "time.label": "Read from your words",
    "read.related": "Related news",
    "keywordOnly": "Read as {language}: the search model does not cover this language, so passages are ranked by matching words alone.",
    "language.ru": "Russian",
    "language.en": "English",
    "language.zh": "Chinese",
    "language.other": "another language",
    "language.in.en": "English",
    "language.in.ru": "Russian",
    "language.in.zh": "Chinese",
    "language.in.other": "another language",
    "error.unreachable": "The search service could not be reached. Check the connection and try again.",
    "error.field.q": "Type a question or some search words, at most 1,000 characters.",
    "error.field.question": "Type a question or some search words, at most 1,000 characters.",
    "error.field.date_from": "The start date is not a real date. Pick one from the calendar.",
    "error.field.date_to": "The end date is not a real date. Pick one from the calendar.",
    "error.invalid": "The search could not be run with these settings. Start a new search from the form.",
    "error.notFound": "What was asked for is not in the archive.",
    "error.busy": "The search service is busy or still starting. Try again in a moment.",
    "error.failed": "Something went wrong on the server. Try again later.",
    "date.undated": "undated",
    "read.title": "Article: Polysearch",
    "read.skip": "Skip to article",
    "read.back": "← Back to search",
    "read.loading": "Loading article…",
    "read.notFound": "Article not found",
    "read.failed": "The article could not be loaded",
    "read.notFoundText": "No article with this id is in the archive. The link may be mistyped, or the article removed.",
    "read.search": "Search the news",
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
    "form.dates": "Дата публикации и язык (необязательно)",
    "form.lang": "Язык статей",
    "form.anyLang": "Любой язык",
    "form.lang.en": "английский",
    "form.lang.ru": "русский",
    "form.lang.zh": "китайский",
    "form.from": "С",
    "form.to": "По",
    "form.datesOrder": "Конечная дата не может быть раньше начальной.",
    "noscript": "Для результатов нужен JavaScript. Тот же поиск доступен в JSON: /search?q=… и /ask?q=….",
    "switch.label": "Язык",
    "status.searching": "Идёт поиск…",
    "status.failed": "Поиск не удался.",
    "status.answer": "Ответ найден; найдено: {articles}.",
    "status.results": "Найдено: {articles}.",
    "status.none": "Ни одна статья не подходит.",
    "status.askFailed": "Найдено: {articles}; ответ получить не удалось.",
    "status.more": "Показано ещё: {articles}.",
    "status.widgetAnswer": "Ответ найден; фрагментов: {n}.",
    "status.widgetNoAnswer": "Ответ не найден; ближайших фрагментов: {n}.",
    "status.widgetResults": "Найдено: {passages}.",
    "passages.one": "{n} фрагмент",
    "passages.few": "{n} фрагмента",
    "passages.many": "{n} фрагментов",
    "articles.one": "{n} статья",
    "articles.few": "{n} статьи",
    "articles.many": "{n} статей",
    "more.one": "Ещё {n} фрагмент из этой статьи",
    "more.few": "Ещё {n} фрагмента из этой статьи",
    "more.many": "Ещё {n} фрагментов из этой статьи",
    "answer.label": "Ответ",
    "answer.heading": "Ответ",
    "answer.none": "Ответ не найден",
    "answer.noneText": "В статьях нет ответа на этот вопрос.",
    "answer.noneMore": "Ниже — ближайшие результаты; возможно, они помогут.",
    "answer.reason": "Причина: {reason}.",
    "answer.source": "Источник: ",
    "answer.confidence": " · уверенность {percent}%",
    "answer.original": "исходная страница",
    "hits.heading": "Фрагменты",
    "hits.empty": "Ничего не найдено.",
    "hits.original": "Исходная страница",
    "results.heading": "Статьи",
    "results.empty": "Ни одна статья не подходит под этот поиск. Попробуйте другие слова или уберите фильтры.",
    "results.fullPassage": "Весь фрагмент",
    "results.fewerPassages": "Скрыть остальные фрагменты",
    "results.loadMore": "Ещё результаты",
    "results.alsoIn": "Также на:",
    "facets.label": "Уточнить результаты",
    "facets.year": "Год:",
    "facets.lang": "Язык:",
    "facets.any": "любой",
    "facets.undated": "без даты",
    "time.year": "Опубликовано в {year} году",
    "time.range": "Опубликовано {from} – {to}",
    "time.latest": "Сначала новые",
    "time.all": "искать за все даты",
    "time.label": "Понято из запроса",
    "read.related": "Похожие новости",
    "keywordOnly": "Запрос прочитан как {language}: модель поиска не знает этого языка, поэтому фрагменты упорядочены только по совпадению слов.",
    "language.ru": "русский",
    "language.en": "английский",
    "language.zh": "китайский",
    "language.other": "другой язык",
    // After "Также на:" a language is named in the prepositional case.
    "language.in.en": "английском",
    "language.in.ru": "русском",
    "language.in.zh": "китайском",
    "language.in.other": "другом языке",
    "error.unreachable": "Не удалось связаться со службой поиска. Проверьте подключение и попробуйте ещё раз.",
    "error.field.q": "Введите вопрос или слова для поиска, не длиннее 1000 символов.",
    "error.field.question": "Введите вопрос или слова для поиска, не длиннее 1000 символов.",
    "error.field.date_from": "Начальная дата не существует. Выберите её в календаре.",
    "error.field.date_to": "Конечная дата не существует. Выберите её в календаре.",
    "error.invalid": "С такими настройками поиск выполнить нельзя. Начните новый поиск с формы.",
    "error.notFound": "Запрошенного нет в архиве.",
    "error.busy": "Служба поиска занята или ещё запускается. Попробуйте через минуту.",
    "error.failed": "На сервере что-то пошло не так. Попробуйте позже.",
    "date.undated": "без даты",
    "read.title": "Статья: Polysearch",
    "read.skip": "Перейти к статье",
    "read.back": "← Назад к поиску",
    "read.loading": "Загрузка статьи…",
    "read.notFound": "Статья не найдена",
    "read.failed": "Не удалось загрузить статью",
    "read.notFoundText": "Статьи с таким идентификатором нет в архиве. Возможно, ссылка набрана с ошибкой или статья удалена.",
    "read.search": "Искать в новостях",
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
  t.passages = (n) => t(pluralKey(lang, n, "passages"), { n });
  t.articles = (n) => t(pluralKey(lang, n, "articles"), { n });
  t.morePassages = (n) => t(pluralKey(lang, n, "more"), { n });
  t.reason = (reason) => {
    for (const [pattern, template] of REASONS[lang] || []) {
      if (pattern.test(reason)) return String(reason).replace(pattern, template);
    }
    return reason;
  };
  // "1 year ago", "3 месяца назад": how old an article is, next to its date.
  t.age = new Intl.RelativeTimeFormat(lang === "ru" ? "ru-RU" : "en-GB", { numeric: "auto" });
  t.date = new Intl.DateTimeFormat(lang === "ru" ? "ru-RU" : "en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  });
  return t;
}

function pluralKey(lang, n, noun) {
  if (lang !== "ru") return n === 1 ? `${noun}.one` : `${noun}.many`;
  const rule = new Intl.PluralRules("ru-RU").select(n);
  return rule === "one" ? `${noun}.one` : rule === "few" ? `${noun}.few` : `${noun}.many`;
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
