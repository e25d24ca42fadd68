// "Did this help?" under an answer or a result: yes, or no with an optional reason, sent to
// POST /feedback with the query_id of the response it is about. Shared by the page and the widget.
import { el } from "./dom.js";

const STRINGS = {
  en: {
    ask: "Did this help?", yes: "Yes", no: "No", why: "What was wrong?", none: "Just no",
    wrong: "Wrong", outdated: "Outdated", incomplete: "Incomplete", "off-topic": "Off-topic",
    thanks: "Thank you for the feedback.", failed: "The feedback could not be sent.",
  },
  ru: {
    ask: "Это помогло?", yes: "Да", no: "Нет", why: "Что не так?", none: "Просто нет",
    wrong: "Неверно", outdated: "Устарело", incomplete: "Неполно", "off-topic": "Не по теме",
    thanks: "Спасибо за отзыв.", failed: "Не удалось отправить отзыв.",
  },
};
const REASONS = ["wrong", "outdated", "incomplete", "off-topic"];

async function send(base, body) {
  const response = await fetch(`${base}/feedback`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
  });
  if (!response.ok) throw new Error(String(response.status));
}

/**
 * The controls for one answer (no `articleId`) or one result; nothing when the service does not
 * log queries (no `queryId`), since feedback would have nothing to belong to.
 */
export function feedbackControls({ client, queryId, articleId = null, lang = "en" }) {
  if (!queryId) return null;
  const s = STRINGS[lang] || STRINGS.en;
  const box = el("div", {
    className: "feedback",
    attrs: { role: "group", "aria-label": s.ask, "data-target": articleId ? "result" : "answer" },
  });
  const note = el("span", { className: "feedback-note", attrs: { role: "status", "aria-live": "polite" } });

  async function submit(verdict, reason = null) {
    box.replaceChildren(note);
    const body = { query_id: queryId, verdict };
    if (reason) body.reason = reason;
    if (articleId) body.article_id = articleId;
    try {
      await send(client.base, body);
      note.textContent = s.thanks;
      box.dataset.sent = verdict;
    } catch {
      note.textContent = s.failed;
    }
  }

  const yes = el("button", { type: "button", className: "feedback-yes" }, s.yes);
  const no = el("button", { type: "button", className: "feedback-no" }, s.no);
  yes.addEventListener("click", () => submit("yes"));
  no.addEventListener("click", () => {
    const reasons = REASONS.map((reason) => {
      const button = el("button", { type: "button", className: "feedback-reason", attrs: { "data-reason": reason } }, s[reason]);
      button.addEventListener("click", () => submit("no", reason));
      return button;
    });
    const plain = el("button", { type: "button", className: "feedback-reason", attrs: { "data-reason": "" } }, s.none);
    plain.addEventListener("click", () => submit("no"));
    box.replaceChildren(el("span", { className: "feedback-ask" }, s.why), " ", ...reasons, plain, note);
  });
  box.append(el("span", { className: "feedback-ask" }, s.ask), " ", yes, " ", no, note);
  return box;
}
