/** Shown on a task whose deadline is within the project's deadline_warning_seconds. */
export function DeadlineBadge({ deadline }: { deadline?: string | null }) {
  const title = deadline ? `Deadline ${new Date(deadline).toLocaleString()}` : 'The deadline is close';
  return (
    <span className="badge badge-deadline" data-testid="deadline-soon" title={title}>
      deadline soon
    </span>
  );
}
