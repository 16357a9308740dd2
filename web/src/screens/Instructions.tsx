// The manager's screen of a project's instructions (docs/instructions.md):
// the editor, the versions with their diff, who has read which version, and
// the tasks labeled under an older one.
import { useState } from 'react';
import { api } from '../api';
import { ErrorText } from '../components/ErrorText';
import { AcksPanel } from '../instructions/AcksPanel';
import { InstructionsEditor } from '../instructions/InstructionsEditor';
import { OutdatedPanel } from '../instructions/OutdatedPanel';
import { VersionsPanel } from '../instructions/VersionsPanel';
import { ProjectNav } from '../versions/ProjectNav';
import { useAsync } from '../useAsync';

export function Instructions({ projectId }: { projectId: number }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  const [generation, setGeneration] = useState(0);
  const [saved, setSaved] = useState<number>();
  const versions = useAsync(() => api.instructionsVersions(projectId), [projectId, generation]);
  const newest = versions.data?.[0]?.version;
  const current = useAsync(
    () => (newest === undefined ? Promise.resolve(null) : api.instructionsVersion(projectId, newest)),
    [projectId, newest],
  );
  const controls = project.data?.schema.controls ?? [];
  const ready = project.data && versions.data && !current.loading && current.data !== undefined;

  return (
    <section className="instructions-screen" data-testid="instructions-screen">
      <ProjectNav projectId={projectId} projectName={project.data?.name} current="instructions" />
      <h1>Instructions{project.data ? ` — ${project.data.name}` : ''}</h1>
      <p className="muted">
        Every save is a new version. Labelers read and confirm the current version before their next task, and
        each label records the version it was made under.
      </p>
      <ErrorText error={project.error ?? versions.error ?? current.error} />
      {saved !== undefined && (
        <p className="ok" data-testid="instructions-saved">
          Saved version {saved}. Labelers read and confirm it before their next task.
        </p>
      )}
      {!ready && !project.error && !versions.error && !current.error && <p className="muted">Loading…</p>}
      {ready && (
        <InstructionsEditor
          key={current.data?.version ?? 0}
          projectId={projectId}
          controls={controls}
          start={current.data ?? null}
          onSaved={(v) => {
            setSaved(v.version);
            setGeneration((g) => g + 1);
          }}
        />
      )}
      <VersionsPanel projectId={projectId} controls={controls} versions={versions.data} error={versions.error} />
      <AcksPanel projectId={projectId} version={newest ?? 0} />
      {newest !== undefined && newest > 1 && <OutdatedPanel projectId={projectId} current={newest} />}
    </section>
  );
}
