import { useState } from 'react';
import { api, type SendOutcome } from '../api';

type Outcome = { kind: 'idle' } | { kind: 'busy' } | { kind: 'sent' } | { kind: 'skipped' } | { kind: 'failed'; message: string };

/** Whether the reply to POST …/review/send says this task was sent (`sent` is a count or the ids). */
export function wasSent(outcome: SendOutcome, taskId: number): boolean {
  if (outcome.skipped?.includes(taskId)) return false;
  if (outcome.task_ids) return outcome.task_ids.includes(taskId);
  return Array.isArray(outcome.sent) ? outcome.sent.includes(taskId) : outcome.sent > 0;
}

/** "Send to review" for one task, which then says whether it was sent or skipped (not done). */
export function SendToReview({ projectId, taskId, onSent }: { projectId: number; taskId: number; onSent?: () => void }) {
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'idle' });
  const send = async () => {
    setOutcome({ kind: 'busy' });
    try {
      const reply = await api.sendToReview(projectId, [taskId]);
      const sent = wasSent(reply, taskId);
      setOutcome({ kind: sent ? 'sent' : 'skipped' });
      if (sent) onSent?.();
    } catch (e) {
      setOutcome({ kind: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  };
  if (outcome.kind === 'sent') {
    return (
      <span className="ok sent" data-testid="sent-to-review">
        ✓ Sent to review
      </span>
    );
  }
  return (
    <span className="send-to-review">
      <button type="button" onClick={send} disabled={outcome.kind === 'busy'} data-testid="send-to-review">
        Send to review
      </button>
      {outcome.kind === 'skipped' && (
        <span className="muted" data-testid="send-skipped">
          {' '}
          not done, left alone
        </span>
      )}
      {outcome.kind === 'failed' && (
        <span className="error" role="alert">
          {' '}
          {outcome.message}
        </span>
      )}
    </span>
  );
}
