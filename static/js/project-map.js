// The project's place on a map (Leaflet). The page already says the place in words and links to
// OpenStreetMap: without JavaScript or tiles nothing is missing but the picture.
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("project-map");
    if (!box || typeof L === "undefined") { return; }
    var point = [parseFloat(box.dataset.lat), parseFloat(box.dataset.lng)];
    var map = L.map(box, { scrollWheelZoom: false }).setView(point, 16);
    L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: box.dataset.attribution }).addTo(map);
    map.attributionControl.setPrefix(false);
    L.marker(point, { alt: box.dataset.marker, title: box.dataset.marker, keyboard: true }).addTo(map);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
