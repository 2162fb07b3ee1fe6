// Progressive enhancement only: every page works without this file.
document.addEventListener("htmx:afterSwap", (event) => {
  // After a results swap, move focus to the results heading for screen-reader users.
  const heading = event.detail.target.querySelector("[data-focus-after-swap]");
  if (heading) heading.focus({ preventScroll: true });
});
document.documentElement.classList.add("js");
