// The dashboard's sales chart, drawn from the JSON in the canvas's data-sales-chart attribute (the
// same figures as the table beside it). Progressive enhancement: without this file the table alone tells everything.
(() => {
  const charts = new Map();

  // An amount of major units, shown with `digits` decimals.
  function money(value, currency, digits) {
    return new Intl.NumberFormat(document.documentElement.lang || "en", {
      style: "currency",
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(value);
  }

  function color(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function draw(canvas) {
    if (typeof window.Chart === "undefined") return;
    const data = JSON.parse(canvas.dataset.salesChart);
    const palette = [color("--accent", "#1d4ed8"), color("--success", "#166534"), color("--warning", "#92400e")];
    const series = data.series;
    const chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: series.map((entry, index) => ({
          label: `Sales (${entry.currency})`,
          data: entry.amounts.map((amount) => amount / 10 ** entry.exponent),
          backgroundColor: palette[index % palette.length],
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined,
        plugins: {
          legend: { display: series.length > 1 },
          tooltip: {
            callbacks: {
              label: (item) => {
                const entry = series[item.datasetIndex];
                return money(item.parsed.y, entry.currency, entry.exponent);
              },
            },
          },
        },
        scales: {
          y: {
            beginAtZero: true,
            ticks: {
              precision: 0,
              callback: (value) =>
                series.length === 1
                  ? money(value, series[0].currency, 0)
                  : value,
            },
          },
          x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
        },
      },
    });
    charts.set(canvas, chart);
  }

  function drawAll(root) {
    // Charts whose canvas an htmx swap took out of the page are let go.
    for (const [canvas, chart] of charts) {
      if (!canvas.isConnected) {
        chart.destroy();
        charts.delete(canvas);
      }
    }
    for (const canvas of root.querySelectorAll("canvas[data-sales-chart]")) {
      if (!charts.has(canvas)) draw(canvas);
    }
  }

  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("htmx:afterSettle", (event) => drawAll(event.detail.elt || document));
})();
