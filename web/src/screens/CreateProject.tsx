import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import { ErrorText, withField } from '../components/ErrorText';
import { ControlForm } from '../project/ControlForm';
import { emptyControl, fieldTarget, toControl, type ControlDraft } from '../project/controlDraft';
import { Link, navigate, paths } from '../router';

export function CreateProject() {
  const [name, setName] = useState('');
  const [overlap, setOverlap] = useState(1);
  const [controls, setControls] = useState<ControlDraft[]>(() => [emptyControl()]);
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const project = await api.createProject({
        name: name.trim(),
        schema: { controls: controls.map(toControl) },
        settings: { overlap },
      });
      navigate(paths.project(project.id));
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  };

  const target = fieldTarget(error instanceof ApiError ? error.field : undefined);
  const errorAt = (kind: 'name' | 'overlap') => (error && target.kind === kind ? error.message : undefined);
  const controlError = (index: number) => {
    if (!error || target.kind !== 'control' || target.index !== index) return undefined;
    return target.detail ? `${target.detail}: ${error.message}` : error.message;
  };

  const update = (index: number, draft: ControlDraft) =>
    setControls((list) => list.map((c, i) => (i === index ? draft : c)));
  const remove = (index: number) => setControls((list) => list.filter((_, i) => i !== index));

  return (
    <section className="narrow">
      <p>
        <Link to={paths.projects()}>← Projects</Link>
      </p>
      <h1>New project</h1>
      <form onSubmit={submit} className="form">
        <label>
          Name
          <input required value={name} onChange={(e) => setName(e.target.value)} data-testid="project-name" />
        </label>
        <ErrorText error={errorAt('name')} />
        <label>
          Overlap (how many people label each task)
          <input
            type="number"
            min={1}
            max={100}
            required
            value={overlap}
            onChange={(e) => setOverlap(e.target.valueAsNumber || 1)}
          />
        </label>
        <ErrorText error={errorAt('overlap')} />
        {controls.map((draft, index) => (
          <ControlForm
            key={draft.key}
            index={index}
            draft={draft}
            error={controlError(index)}
            onChange={(d) => update(index, d)}
            onRemove={controls.length > 1 ? () => remove(index) : undefined}
          />
        ))}
        <button type="button" onClick={() => setControls((list) => [...list, emptyControl()])}>
          Add a control
        </button>
        {error && target.kind === 'form' && <ErrorText error={withField(error)} />}
        <div>
          <button type="submit" className="primary" disabled={busy} data-testid="create-project">
            Create project
          </button>
        </div>
      </form>
    </section>
  );
}
