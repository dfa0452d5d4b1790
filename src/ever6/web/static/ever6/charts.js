// Draw each Vega-Lite chart on the page. Without JavaScript (or if this fails) the table beside
// each chart carries the same figures, so nothing is lost.
// vega, vega-lite and vega-embed are loaded before this as classic scripts (chart_scripts()).

for (const el of document.querySelectorAll("[data-ever6-chart]")) {
  const source = document.getElementById(el.dataset.ever6Chart);
  if (!source) continue;
  try {
    const spec = fitTo(JSON.parse(source.textContent), el.clientWidth);
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

// On a narrow screen (a phone), the chart is drawn to fit its column: panels one under another,
// the plot narrower and the legend below, so the page never scrolls sideways.
function fitTo(spec, available) {
  const inner = spec.spec || spec;
  if (!available || typeof inner.width !== "number" || inner.width + 220 <= available) return spec;
  inner.width = Math.max(140, available - 180);
  if (spec.columns) spec.columns = 1;
  if (spec.title && typeof spec.title === "object") spec.title.limit = available - 10;
  spec.config = spec.config || {};
  spec.config.legend = Object.assign({}, spec.config.legend, { orient: "bottom", direction: "vertical" });
  // No label cut short: what does not fit is scaled down with the chart (ever6.css).
  spec.config.axis = Object.assign({}, spec.config.axis, { labelLimit: 0 });
  return spec;
}
