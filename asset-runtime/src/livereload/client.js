// asset-runtime, dev mode: follows the asset folders. When only
// stylesheets (or files only stylesheets name) changed, it swaps the
// page's stylesheets in place, so form input, scroll position and open
// menus survive a CSS edit; any other change reloads the page, and so does
// the server's coming back after a restart. Added to HTML pages by
// `asset_runtime::livereload::layer`.
(() => {
  const stream = document.currentScript.dataset.assetRuntimeEvents;
  addEventListener("pageshow", () => {
    const events = new EventSource(stream);
    let lost = false;
    events.addEventListener("error", () => (lost = true));
    events.addEventListener("open", () => lost && location.reload());
    events.addEventListener("reload", () => {
      events.close();
      location.reload();
    });
    events.addEventListener("stylesheets", () => {
      const links = document.querySelectorAll('link[rel="stylesheet"]:not([data-asset-runtime-swap])');
      for (const link of links) {
        const url = new URL(link.href, location.href);
        if (url.origin !== location.origin) continue;
        // A new URL, so that the browser fetches it (and what it names)
        // again; the old sheet goes once the new one has loaded, so
        // nothing flashes unstyled. A sheet still loading is replaced.
        url.searchParams.set("asset-runtime-swap", Date.now());
        const next = link.cloneNode();
        next.href = url.href;
        next.dataset.assetRuntimeSwap = "";
        next.addEventListener("load", () => {
          delete next.dataset.assetRuntimeSwap;
          link.remove();
        });
        next.addEventListener("error", () => next.remove());
        for (const pending of document.querySelectorAll("link[data-asset-runtime-swap]")) {
          if (pending.previousElementSibling === link) pending.remove();
        }
        link.after(next);
      }
    });
    addEventListener("pagehide", () => events.close());
  });
})();
