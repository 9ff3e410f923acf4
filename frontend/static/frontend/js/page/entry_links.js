// The experiment admin's entry links: a click selects a link, "Copy" copies it (no inline handlers: the CSP forbids them).
document.addEventListener("click", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return;
  if (target instanceof HTMLInputElement && target.matches(".mug-links input")) {
    target.select();
  } else if (target.matches(".mug-links button.mug-copy")) {
    navigator.clipboard.writeText(/** @type {HTMLInputElement} */ (target.previousElementSibling).value);
  }
});
