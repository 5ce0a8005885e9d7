// Small behaviours of plain forms, without inline script (the pages allow none):
// a form with data-confirm asks before it is sent, a select with
// data-autosubmit sends its form as soon as it changes, and a `next` input with
// data-back-to-list returns to the library list as this tab last showed it.
"use strict";

document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  const next = event.target.querySelector("input[name=next][data-back-to-list]");
  if (next && !next.value) next.value = sessionStorage.getItem("library-list") || "";
});

document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) {
    event.target.form.requestSubmit();
  }
});
