// The invite sheet's "Print" button: shown only when this script runs (the CSP allows no inline script).
const button = document.querySelector("[data-print]");
if (button) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
