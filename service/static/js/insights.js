// The insights page: asks for the admin token, fetches /admin/insights.json with it in a header,
// and draws the report (tables and an inline SVG chart). The token lives in this page's memory only.

const STRINGS = {
  en: {
    heading: "What staff ask the archive", token: "Admin token", since: "Period", d1: "last day",
    d7: "last 7 days", d30: "last 30 days", d90: "last 90 days", show: "Show",
    chart: "Share of questions answered, per day", unanswered: "Questions the archive could not answer",
    top: "Most asked", noresults: "Queries with no results", count: "Count", question: "Question",
    query: "Query", state: "What happened", reasons: "Reasons given",
    found: "found, but no answer", nothing: "nothing found", also: "also asked as",
    loading: "Loading…", denied: "The token was refused.", failed: "The report could not be loaded",
    summary: (r) => `${r.queries} queries: ${r.searches} searches, ${r.questions} questions, ${r.answered} answered.`,
    empty: "No questions in this period.", other: (n) => `${n} more, asked less often`,
  },
  ru: {
    heading: "Что спрашивают в архиве", token: "Токен администратора", since: "Период",
    d1: "последний день", d7: "последние 7 дней", d30: "последние 30 дней", d90: "последние 90 дней",
    show: "Показать", chart: "Доля вопросов с ответом по дням",
    unanswered: "Вопросы, на которые архив не ответил", top: "Частые запросы",
    noresults: "Запросы без результатов", count: "Число", question: "Вопрос", query: "Запрос",
    state: "Что произошло", reasons: "Причины", found: "найдено, но без ответа",
    nothing: "ничего не найдено", also: "также спрашивали", loading: "Загрузка…",
    denied: "Токен не принят.", failed: "Не удалось загрузить отчёт",
    summary: (r) => `Запросов: ${r.queries} (поиск: ${r.searches}, вопросы: ${r.questions}, с ответом: ${r.answered}).`,
    empty: "За этот период вопросов не было.", other: (n) => `ещё ${n}, реже`,
  },
};

const lang = new URLSearchParams(location.search).get("lang") === "ru" ? "ru" : "en";
const t = STRINGS[lang];
let token = "";

function translate() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t[el.dataset.t];
  document.title = `Polysearch: ${t.heading}`;
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function fill(id, rows, render) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren();
  for (const item of rows) {
    const tr = document.createElement("tr");
    render(tr, item);
    body.append(tr);
  }
}

const SVG = "http://www.w3.org/2000/svg";

function svg(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function chart(days) {
  const box = document.getElementById("chart");
  box.replaceChildren();
  const asked = days.filter((d) => d.questions > 0);
  if (!asked.length) {
    box.textContent = t.empty;
    return;
  }
  const bar = 28, gap = 8, height = 160, top = 16, bottom = 30;
  const width = asked.length * (bar + gap) + gap;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height + top + bottom}`, width, role: "img",
    "aria-label": t.chart });
  asked.forEach((d, i) => {
    const h = Math.round((d.share ?? 0) * height);
    const x = gap + i * (bar + gap);
    const rect = svg("rect", { class: "bar", x, y: top + height - h, width: bar, height: h });
    rect.append(svg("title", {}, `${d.day}: ${d.answered}/${d.questions}`));
    root.append(rect);
    root.append(svg("text", { x: x + bar / 2, y: top + height - h - 3, "text-anchor": "middle" },
      `${Math.round((d.share ?? 0) * 100)}%`));
    root.append(svg("text", { x: x + bar / 2, y: top + height + 14, "text-anchor": "middle" }, d.day.slice(5)));
  });
  box.append(root);
}

function render(report) {
  document.getElementById("summary").textContent = t.summary(report);
  chart(report.days);
  fill("unanswered", report.unanswered, (tr, g) => {
    cell(tr, String(g.count), "num");
    const q = cell(tr, g.example);
    if (g.examples.length > 1) {
      const also = document.createElement("div");
      also.className = "also";
      also.textContent = `${t.also}: ${g.examples.slice(1).join(" · ")}`;
      q.append(also);
    }
    cell(tr, g.status === "found_no_answer" ? t.found : t.nothing, "state");
    cell(tr, g.reasons.map((r) => `${r.query} (${r.count})`).join("; "));
  });
  if (report.unanswered_other) {
    const tr = document.createElement("tr");
    cell(tr, String(report.unanswered_other), "num");
    cell(tr, t.other(report.unanswered_other));
    document.querySelector("#unanswered tbody").append(tr);
  }
  const counts = (tr, c) => { cell(tr, String(c.count), "num"); cell(tr, c.query); };
  fill("top", report.top_queries, counts);
  fill("noresults", report.no_results, counts);
  document.getElementById("report").hidden = false;
}

async function load() {
  const status = document.getElementById("status");
  status.textContent = t.loading;
  const since = document.getElementById("since").value;
  try {
    const response = await fetch(`/admin/insights.json?since=${encodeURIComponent(since)}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (response.status === 401 || response.status === 403) {
      status.textContent = t.denied;
      return;
    }
    const body = await response.json();
    if (!response.ok) {
      status.textContent = `${t.failed}: ${body.detail || response.status}`;
      return;
    }
    status.textContent = "";
    render(body);
  } catch (error) {
    status.textContent = `${t.failed}: ${error}`;
  }
}

translate();
document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  token = document.getElementById("token").value.trim();
  load();
});
