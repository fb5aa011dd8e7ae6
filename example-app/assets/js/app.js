// Marks the page as scripted and shows when the script ran.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  const stamp = document.querySelector("[data-loaded]");
  if (stamp) stamp.textContent = "script loaded at " + new Date().toLocaleTimeString();
});
//# sourceMappingURL=app.js.map
