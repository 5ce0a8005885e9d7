// Small behaviours of plain forms, without inline script (the pages allow none):
// a form with data-confirm asks before it is sent, and a select with
// data-autosubmit sends its form as soon as it changes.
"use strict";

document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) {
    event.target.form.requestSubmit();
  }
});
