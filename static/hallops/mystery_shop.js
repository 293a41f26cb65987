/* The inspection entry form: every answer slot saves itself on change (htmx). A refused save
   (409 someone else changed it, 400 invalid) still swaps in the slot with its message. A save that
   cannot reach the server marks its slot "not saved" and is sent again when the phone is back
   online, so a lost connection loses at most the item being answered. */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    var status = event.detail.xhr.status;
    if (elt && elt.closest && elt.closest("[data-autosave]") && (status === 409 || status === 400)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function markUnsaved(event) {
    var elt = event.detail && event.detail.elt;
    var form = elt && elt.closest ? elt.closest("[data-autosave]") : null;
    if (!form) {
      return;
    }
    form.dataset.unsaved = "1";
    var note = form.querySelector("[data-offline-note]");
    if (note) {
      note.hidden = false;
    }
  }

  document.addEventListener("htmx:sendError", markUnsaved);
  document.addEventListener("htmx:timeout", markUnsaved);

  window.addEventListener("online", function () {
    document.querySelectorAll("[data-autosave][data-unsaved]").forEach(function (form) {
      delete form.dataset.unsaved;
      if (window.htmx) {
        window.htmx.trigger(form, "change");
      }
    });
  });
})();
