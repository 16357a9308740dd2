import type { Task, TaskAnnotation } from './api';

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function summarizeResult(annotation: TaskAnnotation): string {
  return annotation.result.map((item) => `${item.control}: ${item.values.join(', ')}`).join('; ');
}

/** The newest of a task's annotation times, or its creation time. */
export function lastUpdated(task: Task): string {
  return task.annotations.reduce((newest, a) => (a.updated_at > newest ? a.updated_at : newest), task.created_at);
}

export function formatCount(n: number): string {
  return n.toLocaleString();
}
