// Draw each Vega-Lite chart on the page. Without JavaScript (or if this fails) the table beside
// each chart carries the same figures, so nothing is lost.
// vega, vega-lite and vega-embed are loaded before this as classic scripts (chart_scripts()).

for (const el of document.querySelectorAll("[data-ever6-chart]")) {
  const source = document.getElementById(el.dataset.ever6Chart);
  if (!source) continue;
  try {
    const spec = JSON.parse(source.textContent);
    // No <style> elements added by vega-embed or its tooltips: the Content-Security-Policy refuses
    // them. The actions menu is off; the tooltips' style is in ever6.css.
    const options = {
      actions: false,
      renderer: "svg",
      defaultStyle: false,
      tooltip: { disableDefaultStyle: true },
    };
    window.vegaEmbed(el, spec, options).catch(() => el.remove());
  } catch (e) {
    el.remove();
  }
}
