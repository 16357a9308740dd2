// The project settings of the Automation screen (docs/automation.md): the
// built-in learner (which choice control it learns), the queue order (import
// order or the learner's uncertainty, margin or entropy), and the span
// pre-labeler (gazetteer terms and regular expressions per label). Errors
// name the field the server refused, e.g. a bad pattern of a label.
import { useEffect, useState, type FormEvent } from 'react';
import {
  ApiError,
  api,
  type Project,
  type QueueOrder,
  type SpanControl,
  type SpanLabelRules,
  type UncertaintyMeasure,
} from '../api';
import { ErrorText, withField } from '../components/ErrorText';
import { useAction } from '../useAction';

export function LearnerSettings({ project, onSaved }: { project: Project; onSaved: () => void }) {
  const choices = project.schema.controls.filter((c) => c.type === 'choice');
  const [control, setControl] = useState(project.settings.learner_control ?? '');
  const [order, setOrder] = useState<QueueOrder>(project.settings.queue_order ?? 'import');
  const [measure, setMeasure] = useState<UncertaintyMeasure>(project.settings.uncertainty ?? 'margin');
  const save = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await save.run(() =>
      api.updateProject(project.id, {
        settings: { learner_control: control || null, queue_order: order, uncertainty: measure },
      }),
    );
    if (ok) onSaved();
  };
  return (
    <form onSubmit={submit} className="stack" data-testid="learner-settings">
      <h2>Built-in learner and queue order</h2>
      <div className="row">
        <label>
          Learner learns{' '}
          <select value={control} onChange={(e) => setControl(e.target.value)} data-testid="learner-control">
            <option value="">off</option>
            {choices.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Queue order{' '}
          <select value={order} onChange={(e) => setOrder(e.target.value as QueueOrder)} data-testid="queue-order">
            <option value="import">import order</option>
            <option value="uncertainty">least certain first</option>
          </select>
        </label>
        <label>
          Uncertainty{' '}
          <select
            value={measure}
            onChange={(e) => setMeasure(e.target.value as UncertaintyMeasure)}
            disabled={order !== 'uncertainty'}
            data-testid="uncertainty-measure"
          >
            <option value="margin">margin</option>
            <option value="entropy">entropy</option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={save.busy} data-testid="save-learner">
          Save
        </button>
      </div>
      {choices.length === 0 && <p className="muted">The schema has no choice control for the learner.</p>}
      <ErrorText error={withField(save.error)} testId="learner-error" />
    </form>
  );
}

/** One line per term or pattern; blank lines are dropped. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

interface RulesDraft {
  terms: string;
  patterns: string;
  caseSensitive: boolean;
}

function draftOf(rules?: SpanLabelRules): RulesDraft {
  return {
    terms: (rules?.terms ?? []).join('\n'),
    patterns: (rules?.patterns ?? []).join('\n'),
    caseSensitive: rules?.case_sensitive ?? false,
  };
}

export function SpanPrelabelerSettings({ project, onSaved }: { project: Project; onSaved: () => void }) {
  const spanControls = project.schema.controls.filter(
    (c): c is SpanControl => c.type === 'span' && c.media !== 'audio',
  );
  const [control, setControl] = useState(spanControls[0]?.name ?? '');
  const [drafts, setDrafts] = useState<Record<string, RulesDraft>>({});
  const [overlaps, setOverlaps] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<Error>();
  const save = useAction();
  useEffect(() => {
    api
      .getSpanPrelabeler(project.id)
      .then((p) => {
        setControl(p.control);
        setOverlaps(p.allow_overlaps);
        setDrafts(Object.fromEntries(Object.entries(p.labels).map(([label, r]) => [label, draftOf(r)])));
        setSaved(p.version);
      })
      .catch((e: unknown) => {
        if (!(e instanceof ApiError && e.status === 404)) setLoadError(e instanceof Error ? e : new Error(String(e)));
      });
  }, [project.id]);
  if (spanControls.length === 0) return null;
  const labels = spanControls.find((c) => c.name === control)?.labels ?? [];
  const draft = (label: string) => drafts[label] ?? draftOf();
  const edit = (label: string, change: Partial<RulesDraft>) =>
    setDrafts((d) => ({ ...d, [label]: { ...draft(label), ...change } }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const rules: Record<string, SpanLabelRules> = {};
    for (const label of labels) {
      const d = draft(label);
      const terms = lines(d.terms);
      const patterns = lines(d.patterns);
      if (terms.length === 0 && patterns.length === 0) continue;
      rules[label] = { terms, patterns, ...(d.caseSensitive ? { case_sensitive: true } : {}) };
    }
    let version = '';
    const ok = await save.run(async () => {
      version = (await api.saveSpanPrelabeler(project.id, { control, labels: rules, allow_overlaps: overlaps })).version;
    });
    if (ok) {
      setSaved(version);
      onSaved();
    }
  };
  const remove = async () => {
    if (await save.run(() => api.deleteSpanPrelabeler(project.id))) {
      setSaved(null);
      onSaved();
    }
  };
  return (
    <form onSubmit={submit} className="stack" data-testid="span-prelabeler">
      <h2>Span pre-labeler</h2>
      <p className="muted">
        Terms match whole words; patterns are regular expressions (one per line). Imported tasks get the spans as
        pre-labels{saved ? ` (version ${saved})` : ''}.
      </p>
      <ErrorText error={loadError} />
      {spanControls.length > 1 && (
        <label>
          Control{' '}
          <select value={control} onChange={(e) => setControl(e.target.value)} data-testid="span-control">
            {spanControls.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <table>
        <thead>
          <tr>
            <th>Label</th>
            <th>Terms</th>
            <th>Patterns</th>
            <th>Case-sensitive</th>
          </tr>
        </thead>
        <tbody>
          {labels.map((label) => (
            <tr key={label} data-testid={`span-rules-${label}`}>
              <td>{label}</td>
              <td>
                <textarea
                  rows={3}
                  value={draft(label).terms}
                  onChange={(e) => edit(label, { terms: e.target.value })}
                  data-testid="span-terms"
                />
              </td>
              <td>
                <textarea
                  rows={3}
                  value={draft(label).patterns}
                  onChange={(e) => edit(label, { patterns: e.target.value })}
                  data-testid="span-patterns"
                />
              </td>
              <td>
                <input
                  type="checkbox"
                  checked={draft(label).caseSensitive}
                  onChange={(e) => edit(label, { caseSensitive: e.target.checked })}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row">
        <label>
          <input type="checkbox" checked={overlaps} onChange={(e) => setOverlaps(e.target.checked)} /> allow
          overlapping spans
        </label>
        <button type="submit" className="primary" disabled={save.busy} data-testid="save-spans">
          Save pre-labeler
        </button>
        {saved && (
          <button type="button" onClick={() => void remove()} disabled={save.busy}>
            Remove
          </button>
        )}
      </div>
      <ErrorText error={withField(save.error)} testId="span-error" />
    </form>
  );
}
