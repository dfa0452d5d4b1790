// Draw each Vega-Lite chart on the page. Without JavaScript (or if this fails) the table beside
// each chart carries the same figures, so nothing is lost.
// vega, vega-lite and vega-embed are loaded before this as classic scripts (chart_scripts()).

for (const el of document.querySelectorAll("[data-ever6-chart]")) {
  const source = document.getElementById(el.dataset.ever6Chart);
  if (!source) continue;
  try {
    const spec = JSON.parse(source.textContent);
    // defaultStyle: false, since the Content-Security-Policy refuses the <style> element
    // vega-embed would otherwise add (it styles only the actions menu, which is off).
    window.vegaEmbed(el, spec, { actions: false, renderer: "svg", defaultStyle: false }).catch(() => el.remove());
  } catch (e) {
    el.remove();
  }
}
