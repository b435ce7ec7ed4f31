// The counter's keyboard and print dialog. Every screen works without this file (plain links
// and forms); it only adds: Esc follows the screen's "back" link (marked data-back), and the
// print page opens the browser's print dialog by itself.
"use strict";

document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape" || event.defaultPrevented) {
    return;
  }
  var back = document.querySelector("[data-back]");
  if (back) {
    event.preventDefault();
    window.location.assign(back.getAttribute("href"));
  }
});

document.addEventListener("DOMContentLoaded", function () {
  var again = document.querySelector("[data-print]");
  if (again) {
    again.addEventListener("click", function () {
      window.print();
    });
  }
  if (document.body.hasAttribute("data-autoprint")) {
    window.print();
  }
});
