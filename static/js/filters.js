// The library's filter form: the fields always say what the list shows.
// The listeners sit on the document, which outlives the page's content being
// swapped back in by Back and Forward.
"use strict";

// The search sends itself as it is typed; leaving the box would send it again
// and redraw the list under the click that left it (a row being ticked).
document.addEventListener("change", (event) => {
  if (event.target.matches("#filters input[type=search]")) event.stopPropagation();
}, true);

// The list as last shown in this tab, for a sample page's actions that end on
// the list (trashing a sample returns to the search it was found by).
function rememberList() {
  sessionStorage.setItem("library-list", window.location.pathname + window.location.search);
}
rememberList();
document.addEventListener("htmx:pushedIntoHistory", rememberList);

// Back and Forward bring the list of another address back, with the page as it
// was first drawn: set each field from the address, as the server would.
document.addEventListener("htmx:historyRestore", () => {
  rememberList();
  const form = document.getElementById("filters");
  if (!form) return;
  const params = new URLSearchParams(window.location.search);
  for (const field of form.elements) {
    if (!field.name) continue;
    const values = params.getAll(field.name);
    if (field.type === "checkbox" || field.type === "radio") {
      field.checked = values.includes(field.value);
    } else if (field.tagName === "SELECT") {
      const index = [...field.options].findIndex((option) => option.value === (values[0] ?? ""));
      field.selectedIndex = Math.max(index, 0);
    } else if (field.tagName === "INPUT") {
      field.value = values[0] ?? "";
    }
  }
});
