// The analytics charts: Chart.js through react-chartjs-2, with only the parts
// used here registered (bars, lines, category and linear axes, tooltip,
// legend), so the rest of Chart.js stays out of the bundle. This module is
// loaded with the analytics screens only, never with the labeling view.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartData,
  type ChartOptions,
} from 'chart.js';
import { Chart } from 'react-chartjs-2';
import { labelColor } from '../editor/colors';
import { formatNumber, formatPercent } from './format';

ChartJS.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

export interface Series {
  name: string;
  /** One value per label; null leaves a gap. */
  values: (number | null)[];
}

interface Props {
  kind: 'bar' | 'line';
  labels: string[];
  series: Series[];
  /** Values are shares in [0, 1], shown as percentages on a 0–100 % axis. */
  percent?: boolean;
  /** What the chart shows, for screen readers. */
  title: string;
  testId?: string;
}

export function SeriesChart({ kind, labels, series, percent = false, title, testId }: Props) {
  const names = series.map((s) => s.name);
  const data: ChartData<'bar' | 'line', (number | null)[], string> = {
    labels,
    datasets: series.map((s) => {
      const color = labelColor(names, s.name);
      return { label: s.name, data: s.values, backgroundColor: color, borderColor: color, pointRadius: 2, spanGaps: false, maxBarThickness: 48 };
    }),
  };
  const format = (value: number) => (percent ? formatPercent(value) : formatNumber(value, 2));
  const options: ChartOptions<'bar' | 'line'> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: 'index', intersect: false },
    plugins: {
      legend: { display: series.length > 1, position: 'bottom' },
      tooltip: {
        callbacks: { label: (item) => `${item.dataset.label}: ${item.parsed.y === null ? '—' : format(item.parsed.y)}` },
      },
    },
    scales: {
      y: {
        beginAtZero: true,
        ...(percent ? { max: 1 } : {}),
        ticks: { callback: (value) => (typeof value === 'number' ? format(value) : value) },
      },
    },
  };
  return (
    <div className="chart" data-testid={testId}>
      <Chart type={kind} data={data} options={options} aria-label={title} role="img" fallbackContent={<p>{title}</p>} />
    </div>
  );
}
