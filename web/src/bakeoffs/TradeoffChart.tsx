// Accuracy against cost, one point per candidate (Chart.js scatter). Loaded
// with the bake-off screens only.
import { Chart as ChartJS, Legend, LinearScale, PointElement, ScatterController, Tooltip, type ChartOptions } from 'chart.js';
import { Chart } from 'react-chartjs-2';
import type { CandidateReport } from '../api';
import { labelColor } from '../editor/colors';

ChartJS.register(ScatterController, PointElement, LinearScale, Tooltip, Legend);

export function TradeoffChart({ candidates }: { candidates: CandidateReport[] }) {
  const names = candidates.map((c) => c.name);
  const priced = candidates.filter((c) => c.cost.total !== null && c.accuracy.score.estimate !== null);
  const data = {
    datasets: priced.map((c) => ({
      label: c.name,
      data: [{ x: c.cost.total as number, y: c.accuracy.score.estimate as number }],
      backgroundColor: labelColor(names, c.name),
      pointRadius: 7,
    })),
  };
  const options: ChartOptions<'scatter'> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    scales: {
      x: { title: { display: true, text: `cost (${priced[0]?.cost.currency ?? ''})` }, beginAtZero: true },
      y: { title: { display: true, text: 'accuracy' }, min: 0, max: 1 },
    },
    plugins: { legend: { position: 'bottom' } },
  };
  return (
    <div className="chart" style={{ height: 280 }} role="img" aria-label="accuracy against cost" data-testid="tradeoff-chart">
      {priced.length === 0 ? <p className="muted">No candidate has both an accuracy and a cost yet.</p> : <Chart type="scatter" data={data} options={options} />}
    </div>
  );
}
