// Progressive enhancement of the inventory table: without this file the same forms post and
// redirect. A refused edit comes back as a 409 (made on stale figures: the row with the figures
// now) or a 422 (bad figures: the row with the errors); htmx swaps only 2xx answers by default,
// so those two are swapped into the row too.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  const target = event.detail.target;
  if ((status === 409 || status === 422) && target && target.closest("#stock-table")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
