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

// A form marked data-check (the enrollment) has each field checked when the operator leaves
// it: the same sentence the form would show after sending, next to the field. Without this
// script, the form is checked when sent; with it, a mistake is said at once.
document.addEventListener("change", function (event) {
  var field = event.target;
  var form = field.form;
  if (!form || !form.hasAttribute("data-check") || !field.name || field.type === "checkbox") {
    return;
  }
  var body = new URLSearchParams();
  body.set("csrf", form.elements.namedItem("csrf").value);
  body.set("field", field.name);
  body.set("value", field.value);
  fetch(form.getAttribute("data-check"), {
    method: "POST",
    body: body,
    credentials: "same-origin",
  })
    .then(function (answer) {
      return answer.ok ? answer.json() : null;
    })
    .then(function (checked) {
      if (checked && checked.field === field.name) {
        showProblem(field, checked.message);
      }
    })
    .catch(function () {
      // No answer: the form still checks everything when it is sent.
    });
});

function showProblem(field, message) {
  var id = "e-" + field.name;
  var shown = document.getElementById(id);
  if (!message) {
    field.removeAttribute("aria-invalid");
    if (shown) {
      shown.remove();
    }
    return;
  }
  if (!shown) {
    shown = document.createElement("p");
    shown.id = id;
    shown.className = "field-error";
    shown.setAttribute("role", "alert");
    field.insertAdjacentElement("afterend", shown);
  }
  shown.textContent = message;
  field.setAttribute("aria-invalid", "true");
  field.setAttribute("aria-describedby", id);
}
