// quotad dashboard: progressive enhancement only (every page works without this script).
// - theme toggle (light/dark), remembered in localStorage;
// - filter-as-you-type on tables and lists marked with data-filter;
// - a confirmation before forms marked with data-confirm are sent.
(function () {
  "use strict";
  var root = document.documentElement;
  var stored = null;
  try { stored = window.localStorage.getItem("quotad-theme"); } catch (e) { stored = null; }
  if (stored === "dark" || stored === "light") { root.setAttribute("data-theme", stored); }

  function currentTheme() {
    var explicit = root.getAttribute("data-theme");
    if (explicit) { return explicit; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector("[data-theme-toggle]");
    if (toggle) {
      var update = function () {
        var dark = currentTheme() === "dark";
        toggle.setAttribute("aria-pressed", dark ? "true" : "false");
        toggle.textContent = dark ? "Light theme" : "Dark theme";
      };
      toggle.hidden = false;
      update();
      toggle.addEventListener("click", function () {
        var next = currentTheme() === "dark" ? "light" : "dark";
        root.setAttribute("data-theme", next);
        try { window.localStorage.setItem("quotad-theme", next); } catch (e) { /* private mode: not remembered */ }
        update();
      });
    }

    Array.prototype.forEach.call(document.querySelectorAll("[data-filter]"), function (input) {
      var target = document.getElementById(input.getAttribute("data-filter"));
      if (!target) { return; }
      input.hidden = false;
      input.addEventListener("input", function () {
        var needle = input.value.trim().toLowerCase();
        Array.prototype.forEach.call(target.querySelectorAll("[data-filter-row]"), function (row) {
          row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
        });
      });
    });

    Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
}());
