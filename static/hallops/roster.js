/* Rostering pages: shift colours, the generate form's method switch, the cell editor's keys.
   Loaded as a static file (no inline script), so a strict Content-Security-Policy fits. */
(function () {
  "use strict";

  var HEX = /^#[0-9a-fA-F]{6}$/;

  function within(root, selector) {
    var found = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) {
      found.unshift(root);
    }
    return found;
  }

  // A shift's colour comes from data-colour; setting it through the DOM needs no inline style.
  function paint(root) {
    within(root, "[data-colour]").forEach(function (element) {
      var colour = element.getAttribute("data-colour");
      if (HEX.test(colour)) {
        element.style.backgroundColor = colour;
      }
    });
  }

  // The generate form shows the fields of the chosen method only (all show without script).
  function showMethodFields(form) {
    var checked = form.querySelector('input[name="method"]:checked');
    var method = checked ? checked.value : "";
    within(form, "[data-method]").forEach(function (element) {
      element.hidden = element.getAttribute("data-method").split(" ").indexOf(method) === -1;
    });
  }

  function setUpForms(root) {
    within(root, "form[data-roster-generate]").forEach(function (form) {
      if (form.dataset.ready) {
        return;
      }
      form.dataset.ready = "1";
      form.addEventListener("change", function (event) {
        if (event.target.name === "method") {
          showMethodFields(form);
        }
      });
      showMethodFields(form);
    });
  }

  function setUp(root) {
    if (!root || !root.querySelectorAll) {
      return;
    }
    paint(root);
    setUpForms(root);
  }

  // Escape closes an open cell editor.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) {
      return;
    }
    var editor = event.target.closest(".cell-editor");
    var cancel = editor && editor.querySelector("[data-cancel]");
    if (cancel) {
      cancel.click();
    }
  });

  // After a cell is swapped, keep the keyboard where it was: on the cell's button or select.
  document.addEventListener("htmx:afterSwap", function (event) {
    var cell = event.detail.target;
    if (!cell || !cell.classList || !cell.classList.contains("grid-cell")) {
      return;
    }
    var focusable = cell.querySelector("select, button");
    if (focusable) {
      focusable.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    setUp(document);
  });
  document.addEventListener("htmx:load", function (event) {
    setUp(event.detail.elt);
  });
})();
