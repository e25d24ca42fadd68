// The /embed page: the same widget, mounted into the iframe's own document; `/embed?lang=ru`
// picks its language (else data-lang, else the browser's).
import { mount } from "./widget-ui.js";

const lang = new URLSearchParams(window.location.search).get("lang");
for (const host of document.querySelectorAll("[data-polysearch]")) mount(host, { endpoint: "", lang });
