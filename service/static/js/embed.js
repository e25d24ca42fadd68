// The /embed page: the same widget, mounted into the iframe's own document.
import { mount } from "./widget-ui.js";

for (const host of document.querySelectorAll("[data-polysearch]")) mount(host, { endpoint: "" });
