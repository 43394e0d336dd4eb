// Hamafza — progressive enhancement only; every page works without this file.
// Map hover: show the place's name beside the pointer.
(function () {
  "use strict";
  document.querySelectorAll(".map-box").forEach(function (box) {
    var tip = document.createElement("div");
    tip.className = "map-tip";
    tip.hidden = true;
    tip.setAttribute("role", "status");
    box.appendChild(tip);
    box.addEventListener("mousemove", function (ev) {
      var shape = ev.target.closest ? ev.target.closest(".map-shape") : null;
      if (!shape) { tip.hidden = true; return; }
      var r = box.getBoundingClientRect();
      tip.textContent = shape.getAttribute("data-name");
      tip.style.left = (ev.clientX - r.left + 12) + "px";
      tip.style.top = (ev.clientY - r.top + 12) + "px";
      tip.hidden = false;
    });
    box.addEventListener("mouseleave", function () { tip.hidden = true; });
  });
})();
