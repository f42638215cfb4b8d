// The upload button is disabled while the files are sent, so one click makes one upload.
document.addEventListener("submit", (event) => {
  const button = event.target.querySelector("button[data-busy-label]");
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.textContent = button.dataset.busyLabel;
  }
});
// Coming back with the browser's Back button shows the form as it was left: usable again.
window.addEventListener("pageshow", () => {
  for (const button of document.querySelectorAll("button[data-busy-label][disabled]")) {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
});
