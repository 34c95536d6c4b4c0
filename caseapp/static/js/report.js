/* "Use my location": fills the hidden lat/lon fields from the phone's position. */
(function () {
  "use strict";
  var button = document.getElementById("use-location");
  var clear = document.getElementById("clear-location");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var status = document.getElementById("location-status");
  if (!button || !lat || !lon || !status) { return; }
  button.hidden = false;

  function show(text) { status.textContent = text; }
  function refresh() { clear.hidden = !(lat.value && lon.value); }

  button.addEventListener("click", function () {
    if (!("geolocation" in navigator)) { show(button.dataset.unsupported); return; }
    button.disabled = true;
    show(button.dataset.locating);
    navigator.geolocation.getCurrentPosition(function (position) {
      lat.value = position.coords.latitude.toFixed(6);
      lon.value = position.coords.longitude.toFixed(6);
      show(button.dataset.found.replace("{lat}", lat.value).replace("{lon}", lon.value));
      button.disabled = false;
      refresh();
    }, function () {
      show(button.dataset.failed);
      button.disabled = false;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  clear.addEventListener("click", function () {
    lat.value = ""; lon.value = ""; show(""); refresh(); button.focus();
  });
  refresh();

  /* Tell the visitor at once when more than 3 photos or a too large file are chosen. */
  var photos = document.getElementById("photos");
  if (photos) {
    photos.addEventListener("change", function () {
      var problem = "";
      if (photos.files.length > 3) { problem = photos.dataset.tooMany; }
      for (var i = 0; i < photos.files.length && !problem; i++) {
        if (photos.files[i].size > 5 * 1024 * 1024) { problem = photos.dataset.tooLarge; }
      }
      photos.setCustomValidity(problem || "");
      if (problem) { photos.reportValidity(); }
    });
  }
}());
