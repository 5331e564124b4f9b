/**
 * Per-minute charts of the last hour (starts, keys and licenses, denials), drawn with Chart.js
 * (loaded as a classic script: window.Chart) from GET /v1/admin/events/per-minute.
 */
import { admin, query } from './admin-api.js';

const SERIES = [
  ['chart-starts', 'starts', '#1565c0'],
  ['chart-licenses', 'licenses', '#2e7d32'],
  ['chart-denials', 'denials', '#c62828'],
];
const charts = new Map();

export async function showCharts() {
  const since = new Date(Date.now() - 60 * 60_000).toISOString();
  const { minutes } = await admin('GET', `/v1/admin/events/per-minute${query({ since })}`);
  const labels = minutes.map((m) => new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  for (const [id, field, color] of SERIES) {
    const data = minutes.map((m) => m[field]);
    const chart = charts.get(id);
    if (chart === undefined) {
      const canvas = document.getElementById(id);
      canvas.dataset.total = String(data.reduce((a, b) => a + b, 0));
      charts.set(id, new window.Chart(canvas, barChart(labels, data, color)));
    } else {
      chart.canvas.dataset.total = String(data.reduce((a, b) => a + b, 0));
      chart.data.labels = labels;
      chart.data.datasets[0].data = data;
      chart.update('none');
    }
  }
}

function barChart(labels, data, color) {
  return {
    type: 'bar',
    data: { labels, datasets: [{ data, backgroundColor: color }] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 7 } } },
    },
  };
}
