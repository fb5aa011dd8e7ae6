// asset-runtime, dev mode: swaps the page's stylesheets in place when a
// stylesheet changes, so form input, scroll position and open menus
// survive a CSS edit. Any other change reloads the page (tower-livereload's
// script). Injected into HTML pages by `asset_runtime::livereload::layer`.
(() => {
  const stream = document.currentScript.dataset.assetRuntimeEvents;
  addEventListener("pageshow", () => {
    const events = new EventSource(stream);
    events.addEventListener("stylesheets", () => {
      for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
        const url = new URL(link.href, location.href);
        if (url.origin !== location.origin) continue;
        // A new URL, so that the browser fetches it again; the old sheet
        // goes once the new one has loaded, so nothing flashes unstyled.
        url.searchParams.set("asset-runtime-swap", Date.now());
        const next = link.cloneNode();
        next.href = url.href;
        next.addEventListener("load", () => link.remove());
        next.addEventListener("error", () => next.remove());
        link.after(next);
      }
    });
    addEventListener("pagehide", () => events.close());
  });
})();
