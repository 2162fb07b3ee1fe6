// Progressive enhancement only: every page works without this file.
let filtersOpen = false;
document.addEventListener("htmx:beforeSwap", () => {
  // A results swap redraws the filters: keep them open if the shopper had opened them.
  filtersOpen = document.querySelector("details.filters[open]") !== null;
});
document.addEventListener("htmx:afterSwap", (event) => {
  // After a results swap, move focus to the results heading for screen-reader users, and bring
  // the heading into view when the swap came from below it (a "Next" link by the footer).
  // A history restore (Back/Forward) swaps the whole page and has no target.
  const target = event.detail.target;
  const heading = target && target.querySelector("[data-focus-after-swap]");
  if (!heading) return;
  const filters = target.querySelector("details.filters");
  if (filters && filtersOpen) filters.open = true;
  heading.focus({ preventScroll: true });
  if (heading.getBoundingClientRect().top < 0) heading.scrollIntoView({ block: "start" });
});
document.documentElement.classList.add("js");
