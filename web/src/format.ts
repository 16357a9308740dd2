import type { ResultItem, Task, TaskAnnotation } from './api';

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function summarizeItem(item: ResultItem): string {
  switch (item.type) {
    case 'choice':
      return item.values.join(', ');
    case 'text':
      return item.value.length > 40 ? `${item.value.slice(0, 40)}…` : item.value;
    case 'rating':
      return String(item.value);
    default:
      return item.label;
  }
}

/** Each control with its values; region controls with their count, e.g. "objects: 3 (car, person)". */
export function summarizeResult(annotation: TaskAnnotation): string {
  const byControl = new Map<string, ResultItem[]>();
  for (const item of annotation.result) byControl.set(item.control, [...(byControl.get(item.control) ?? []), item]);
  return [...byControl]
    .map(([control, items]) => {
      const values = [...new Set(items.map(summarizeItem))].join(', ');
      const first = items[0];
      const region = first && !['choice', 'text', 'rating'].includes(first.type ?? 'choice');
      return region ? `${control}: ${items.length} (${values})` : `${control}: ${values}`;
    })
    .join('; ');
}

/** The newest of a task's annotation times, or its creation time. */
export function lastUpdated(task: Task): string {
  return task.annotations.reduce((newest, a) => (a.updated_at > newest ? a.updated_at : newest), task.created_at);
}

export function formatCount(n: number): string {
  return n.toLocaleString();
}
