// Import progress: polls the batch status and moves the progress bar while a worker imports the
// file; reloads the page to show the report when the worker is done. Without JavaScript the
// page refreshes itself (see the <noscript> in the template).
(function () {
  "use strict";
  var section = document.getElementById("import-progress");
  if (!section) { return; }
  var bar = document.getElementById("import-bar");
  var text = document.getElementById("import-progress-text");
  var url = section.getAttribute("data-status-url");
  var template = section.getAttribute("data-progress-text") || "{done} / {total}";

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        bar.value = state.percent;
        bar.textContent = state.percent + " %";
        text.textContent = template.replace("{done}", state.rows_processed).replace("{total}", state.total_rows);
        if (state.status === "done" || state.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 500);
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 300);
}());
