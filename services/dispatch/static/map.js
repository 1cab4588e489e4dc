// Draws the plan's stops and routes as Leaflet vector layers; tiles only when configured.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") { return; }
  var routes = JSON.parse(element.dataset.features || "[]");
  var colours = ["#1f5fbf", "#b3261e", "#1b7a43", "#6b3fa0", "#a35a00", "#00838f", "#c2185b",
    "#5d4037", "#455a64", "#827717"];
  var map = L.map(element, { attributionControl: Boolean(element.dataset.tiles) });
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { attribution: element.dataset.attribution || "" }).addTo(map);
  }
  var bounds = [];
  routes.forEach(function (route, index) {
    var colour = colours[index % colours.length];
    if (route.points.length > 1) {
      L.polyline(route.points, { color: colour, weight: 3, opacity: 0.8 })
        .bindTooltip(route.driver).addTo(map);
    }
    route.stops.forEach(function (stop) {
      L.circleMarker(stop.at, { radius: 5, color: colour, fillColor: "#fff", fillOpacity: 1,
        weight: 2 }).bindTooltip(route.driver + ": " + stop.text).addTo(map);
      bounds.push(stop.at);
    });
  });
  if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20] }); }
  else { map.setView([43.7, -79.4], 10); }
})();
