// Display equations wider than their box scroll sideways (page_width.css):
// mark each side that hides part of the formula, so that a shadow shows
// there, and let the keyboard reach the scrolling box.
(() => {
  const DISPLAY = 'mjx-container[jax="CHTML"][display="true"]';

  function cue(box) {
    const hidden = box.scrollWidth - box.clientWidth;
    box.classList.toggle("math-more-right", hidden > 1 && box.scrollLeft < hidden - 1);
    box.classList.toggle("math-more-left", hidden > 1 && box.scrollLeft > 1);
    if (hidden > 1) box.setAttribute("tabindex", "0");
  }

  function cueAll() {
    document.querySelectorAll(DISPLAY).forEach(cue);
  }

  document.addEventListener(
    "scroll",
    (event) => event.target.matches?.(DISPLAY) && cue(event.target),
    true,
  );
  window.addEventListener("resize", cueAll);
  window.addEventListener("load", () => {
    const typeset = window.MathJax?.startup?.promise ?? Promise.resolve();
    typeset.then(cueAll);
  });
})();
