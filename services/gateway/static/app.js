// The dashboard's entry: a hash router over the pages in views.js, and the API key form.

import { apiKey, setApiKey } from "./api.js";
import * as views from "./views.js";

const view = document.getElementById("view");

function route() {
  const [path, search] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(search || "");
  const parts = (path || "/").split("/").filter(Boolean);
  if (parts[0] === "properties") return views.properties(view, params);
  if (parts[0] === "property" && parts[1]) return views.property(view, parts[1]);
  if (parts[0] === "scraping") return views.scraping(view);
  if (parts[0] === "deadletters") return views.deadLetters(view, params);
  return views.overview(view);
}

// Renders may overlap (a key entered while a page loads): the view is busy until the
// latest one has finished, which is what a reader (or a test) waits for.
let latest = 0;

async function render() {
  const generation = ++latest;
  view.setAttribute("aria-busy", "true");
  const current = location.hash.split("?")[0] || "#/";
  for (const link of document.querySelectorAll("header nav a")) {
    const target = link.getAttribute("href");
    link.classList.toggle("active", target === current || (target !== "#/" && current.startsWith(target)));
  }
  try {
    await route();
  } catch (error) {
    const hint = error.status === 401 || error.status === 403 ? " Enter an API key above." : "";
    view.innerHTML = `<p class="notice error"></p>`;
    view.firstChild.textContent = `${error.message}${hint}`;
  } finally {
    if (generation === latest) view.removeAttribute("aria-busy");
  }
}

document.getElementById("api-key").value = apiKey();
document.getElementById("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  setApiKey(document.getElementById("api-key").value.trim());
  render();
});
window.addEventListener("hashchange", render);
render();
