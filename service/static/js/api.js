// A small client for the polysearch JSON API, used by the page and by the widget.

/** A failed request: `status` (0 when the service could not be reached), the API's `error` code, `detail` and `field`. */
export class ApiError extends Error {
  constructor(status, error, detail, field = null) {
    super(detail ? `${error}: ${detail}` : error);
    this.status = status;
    this.error = error;
    this.detail = detail;
    this.field = field;
  }
}

/** Requests against the service at `endpoint` (an origin, or "" for the page's own); `lang` travels to the article view. */
export function createClient(endpoint = "", { lang = null } = {}) {
  const base = endpoint.replace(/\/+$/, "");

  async function getJson(path, params) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
    }
    const url = `${base}${path}${query.size ? `?${query}` : ""}`;
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "omit" });
    } catch (cause) {
      throw new ApiError(0, "unreachable", String(cause && cause.message ? cause.message : cause));
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const error = body && typeof body.error === "string" ? body.error : "http_error";
      const detail = body && body.detail !== undefined ? String(body.detail) : "";
      const field = body && typeof body.field === "string" ? body.field : null;
      throw new ApiError(response.status, error, detail, field);
    }
    return body;
  }

  // infer_dates is sent only to turn the reading of dates in the query off ("search all dates").
  const filters = (options) => ({
    date_from: options.dateFrom,
    date_to: options.dateTo,
    lang: options.lang,
    infer_dates: options.inferDates === false ? "false" : null,
  });

  return {
    base,
    search: (query, options = {}) =>
      getJson("/search", { q: query, k: options.k, group: options.group, offset: options.offset, ...filters(options) }),
    ask: (question, options = {}) => getJson("/ask", { q: question, k: options.k, ...filters(options) }),
    article: (articleId) => getJson(`/articles/${encodeURIComponent(articleId)}`),
    related: (articleId, k = 5) => getJson(`/articles/${encodeURIComponent(articleId)}/related`, { k }),
    /** The article view's address for a span of an article, carrying the query for the way back. */
    readHref(articleId, start, end, query) {
      const params = new URLSearchParams();
      if (Number.isInteger(start) && Number.isInteger(end)) {
        params.set("start", String(start));
        params.set("end", String(end));
      }
      if (query) params.set("q", query);
      if (lang) params.set("lang", lang);
      return `${base}/read/${encodeURIComponent(articleId)}?${params}`;
    },
  };
}
