// On a narrow screen the navigation collapses behind a "Menú" button (issue #16: at 360 px it
// took a third of the screen). Without JavaScript the list simply stays open.
"use strict";

(() => {
  const toggle = document.querySelector(".nav-toggle");
  const list = document.getElementById("nav-list");
  if (!toggle || !list) return;
  const narrow = window.matchMedia("(max-width: 47.99rem)");

  function set(open) {
    toggle.setAttribute("aria-expanded", String(open));
    list.classList.toggle("nav-collapsed", !open);
  }

  function fit() {
    toggle.hidden = !narrow.matches;
    set(!narrow.matches);
  }

  toggle.addEventListener("click", () => set(toggle.getAttribute("aria-expanded") !== "true"));
  narrow.addEventListener("change", fit);
  fit();
})();
