// The instructions in the labeling and review views: the gate that a labeler
// passes by acknowledging the current version before the next task, and the
// panel that shows the current version again while labeling. Loaded on first
// use, so Markdown and its sanitizer reach a labeler's browser only for a
// project that has instructions.
import { useEffect, useState } from 'react';
import { api, ApiError, type Control } from '../api';
import { ErrorText } from '../components/ErrorText';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';
import { InstructionsView } from './InstructionsView';

/** The version to read: the one the server named, else the project's current one. */
async function loadVersion(projectId: number, version: number | undefined) {
  const number = version ?? (await api.instructions(projectId)).current;
  return number ? api.instructionsVersion(projectId, number) : null;
}

/**
 * Shown when the next task waits for the caller to acknowledge the current
 * instructions (409 instructions_not_acknowledged). `onAcknowledged` loads the
 * next task.
 */
export function InstructionsGate({ projectId, version, controls, onAcknowledged }: {
  projectId: number;
  version?: number;
  controls: Control[];
  onAcknowledged: () => void;
}) {
  // A newer version saved while this one was read replaces it (the ack of an old one is a 409).
  const [wanted, setWanted] = useState(version);
  const shown = useAsync(() => loadVersion(projectId, wanted), [projectId, wanted]);
  const ack = useAction();
  const [notice, setNotice] = useState<string>();

  const acknowledge = async (number: number) => {
    setNotice(undefined);
    let stale = false;
    const ok = await ack.run(async () => {
      try {
        await api.acknowledgeInstructions(projectId, number);
      } catch (e) {
        if (e instanceof ApiError && e.status === 409) stale = true;
        throw e;
      }
    });
    if (ok) onAcknowledged();
    else if (stale) {
      const current = (await api.instructions(projectId).catch(() => null))?.current ?? undefined;
      setNotice(`The instructions changed while you read them: read version ${current ?? 'the newest'} now.`);
      setWanted(current);
      if (current === wanted) shown.reload();
    }
  };

  const v = shown.data;
  return (
    <div className="panel instructions-gate" data-testid="instructions-gate">
      <h2>Read the instructions first</h2>
      <p className="muted">
        The instructions of this project {v && v.version > 1 ? 'have changed' : 'are new'}: read them and confirm
        before your next task.
      </p>
      {notice && (
        <p className="error" role="alert">
          {notice}
        </p>
      )}
      <ErrorText error={shown.error} />
      {shown.loading && !v && <p className="muted">Loading the instructions…</p>}
      {v && <InstructionsView version={v} controls={controls} />}
      {v === null && !shown.loading && <p className="muted">This project has no instructions any more.</p>}
      <div className="row gate-actions">
        {v && (
          <button
            type="button"
            className="primary"
            disabled={ack.busy || shown.loading}
            onClick={() => void acknowledge(v.version)}
            data-testid="acknowledge-instructions"
          >
            I have read version {v.version}
          </button>
        )}
        {v === null && (
          <button type="button" className="primary" onClick={onAcknowledged}>
            Get the next task
          </button>
        )}
      </div>
      {!notice && <ErrorText error={ack.error} />}
    </div>
  );
}

/** The current instructions, opened from the labeling view (`I`) while a task is shown. */
export function InstructionsPanel({ projectId, controls, onClose, anchor }: {
  projectId: number;
  controls: Control[];
  onClose: () => void;
  /** A heading to scroll to (see headingAnchor), e.g. from a practice explanation. */
  anchor?: string;
}) {
  const shown = useAsync(() => loadVersion(projectId, undefined), [projectId]);
  useEffect(() => {
    if (!anchor || !shown.data) return;
    const target = document.getElementById(`instr-${anchor}`);
    target?.scrollIntoView({ block: 'start' });
    target?.classList.add('anchor-target');
  }, [anchor, shown.data]);
  return (
    <aside className="panel instructions-panel" data-testid="instructions-panel" aria-label="Instructions">
      <div className="heading">
        <h2>Instructions</h2>
        <button type="button" onClick={onClose} data-testid="close-instructions">
          Close <kbd>I</kbd>
        </button>
      </div>
      <ErrorText error={shown.error} />
      {shown.loading && !shown.data && <p className="muted">Loading…</p>}
      {shown.data === null && <p className="muted">This project has no instructions.</p>}
      {shown.data && <InstructionsView version={shown.data} controls={controls} />}
    </aside>
  );
}
