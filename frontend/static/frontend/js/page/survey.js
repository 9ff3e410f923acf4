// Survey sliders: an untouched slider has no name (the form sends nothing, so a required one is refused, never
// stored as its minimum); the participant's first touch names it and shows the value picked. Listens on the
// document, so a survey that page/flow.js swaps in (which imports this module) works too.

/** @param {Event} event */
function answer(event) {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.matches("input[type=range][data-name]")) return;
  const slider = input.closest("[data-slider]");
  if (!slider) return;
  input.name = input.dataset.name ?? "";
  slider.classList.remove("untouched");
  const output = slider.querySelector("output");
  if (output) output.textContent = input.value;
}

// a click on the thumb where it rests changes nothing but is an answer too
for (const type of ["input", "change", "pointerup"]) document.addEventListener(type, answer);
