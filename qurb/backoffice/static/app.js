// The back office's own script: small conveniences on top of pages that work without it.
// Loaded from the service (the CSP allows no inline script); no eval, no inline handler.
"use strict";
document.addEventListener("click", function (event) {
  var target = event.target;
  if (!(target instanceof Element)) return;
  if (target.closest("[data-print]")) {
    window.print();
  }
});
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) return;
  var form = box.form || document;
  form.querySelectorAll('input[type=checkbox][name="' + box.dataset.selectAll + '"]')
    .forEach(function (other) { other.checked = box.checked; });
});
