// The dashboard's entry: a hash router over the pages in views.js, and the API key form.

import { apiKey, setApiKey } from "./api.js";
import * as views from "./views.js";

const view = document.getElementById("view");

function route(target) {
  const [path, search] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(search || "");
  const parts = (path || "/").split("/").filter(Boolean);
  if (parts[0] === "properties") return views.properties(target, params);
  if (parts[0] === "property" && parts[1]) return views.property(target, parts[1]);
  if (parts[0] === "scraping") return views.scraping(target);
  if (parts[0] === "deadletters") return views.deadLetters(target, params);
  return views.overview(target);
}

// Renders may overlap (a link followed, or a key entered, while a page loads). Each one
// builds its page in an element of its own and only the latest puts it on screen, so a
// slow earlier page never replaces the one asked for after it. The view is busy until
// the latest render has finished, which is what a reader (or a test) waits for.
let latest = 0;

async function render() {
  const generation = ++latest;
  view.setAttribute("aria-busy", "true");
  const current = location.hash.split("?")[0] || "#/";
  for (const link of document.querySelectorAll("header nav a")) {
    const href = link.getAttribute("href");
    link.classList.toggle("active", href === current || (href !== "#/" && current.startsWith(href)));
  }
  const page = document.createElement("div");
  try {
    await route(page);
  } catch (error) {
    const hint = error.status === 401 || error.status === 403 ? " Enter an API key above." : "";
    page.innerHTML = `<p class="notice error"></p>`;
    page.firstChild.textContent = `${error.message}${hint}`;
  }
  if (generation === latest) {
    view.replaceChildren(page);
    view.removeAttribute("aria-busy");
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
