// A filter box above each long list of checkboxes (issue #16: 52 comunas, 80 commitments): typing
// hides the options that do not contain the words; checked options always stay visible.
"use strict";

(() => {
  const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  const label = document.body.dataset.filterLabel || "Filtrar";
  document.querySelectorAll("ul[data-filterable]").forEach((list, index) => {
    const id = `filter-${index}`;
    const wrapper = document.createElement("div");
    wrapper.className = "field filter-box";
    const caption = document.createElement("label");
    caption.htmlFor = id;
    caption.textContent = label;
    const input = document.createElement("input");
    input.id = id;
    input.type = "search";
    input.autocomplete = "off";
    wrapper.append(caption, input);
    list.before(wrapper);
    input.addEventListener("input", () => {
      const words = fold(input.value).split(/\s+/).filter(Boolean);
      for (const item of list.children) {
        const box = item.querySelector("input");
        const text = fold(item.textContent);
        item.hidden = !box.checked && !words.every((word) => text.includes(word));
      }
    });
  });
})();
