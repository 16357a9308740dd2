import { useState } from 'react';
import { api } from '../api';
import { ErrorText } from '../components/ErrorText';
import { formatCount } from '../format';
import { ExportLinks } from '../project/ExportLinks';
import { ImportPanel } from '../project/ImportPanel';
import { BatchesPanel } from '../project/BatchesPanel';
import { GoldenGrades } from '../project/GoldenGrades';
import { MembersPanel } from '../project/MembersPanel';
import { TaskTable } from '../project/TaskTable';
import { WebhooksPanel } from '../project/WebhooksPanel';
import { WorkflowSettings } from '../project/WorkflowSettings';
import { WorkforcesPanel } from '../project/WorkforcesPanel';
import { Link, navigate, paths } from '../router';
import { useAsync } from '../useAsync';

export function ProjectPage({ projectId }: { projectId: number }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  const [version, setVersion] = useState(0);
  const p = project.data;

  const imported = () => {
    setVersion((v) => v + 1);
    project.reload();
  };

  return (
    <section>
      <p>
        <Link to={paths.projects()}>← Projects</Link>
      </p>
      <ErrorText error={project.error} />
      {p && (
        <>
          <div className="heading">
            <h1>{p.name}</h1>
            <div className="row">
              <Link to={paths.quality(p.id)} className="button" data-testid="open-quality">
                Quality
              </Link>
              <Link to={paths.gallery(p.id)} className="button" data-testid="open-gallery">
                Sample gallery
              </Link>
              <Link to={paths.disagreements(p.id)} className="button" data-testid="open-disagreements">
                Disagreements
              </Link>
              <Link to={paths.instructions(p.id)} className="button" data-testid="open-instructions-editor">
                Instructions
              </Link>
              <Link to={paths.automation(p.id)} className="button" data-testid="open-automation">
                Automation
              </Link>
              <Link to={paths.versions(p.id)} className="button" data-testid="open-versions">
                Dataset versions
              </Link>
              <Link to={paths.bakeoffs(p.id)} className="button" data-testid="open-bakeoffs">
                Bake-offs
              </Link>
              <Link to={paths.training(p.id)} className="button" data-testid="open-training">
                Training
              </Link>
              <Link to={paths.audit(p.id)} className="button" data-testid="open-audit">
                Audit log
              </Link>
              <button type="button" onClick={() => navigate(paths.review(p.id))} data-testid="open-review">
                Review
              </button>
              <button type="button" className="primary" onClick={() => navigate(paths.label(p.id))}>
                Label
              </button>
            </div>
          </div>
          <p className="muted" data-testid="project-counts">
            {formatCount(p.counts.total)} tasks · {formatCount(p.counts.new)} new ·{' '}
            {formatCount(p.counts.annotating)} annotating ·{' '}
            {p.counts.reviewing !== undefined && <>{formatCount(p.counts.reviewing)} reviewing · </>}
            {p.counts.adjudicating !== undefined && <>{formatCount(p.counts.adjudicating)} adjudicating · </>}
            {formatCount(p.counts.done)} done · overlap {p.settings.overlap} · controls: {p.schema.controls.map((c) => c.name).join(', ')}
          </p>
          <div className="panels">
            <ImportPanel projectId={p.id} onImported={imported} />
            <ExportLinks projectId={p.id} />
            <MembersPanel projectId={p.id} />
            <WorkforcesPanel projectId={p.id} />
          </div>
          <WorkflowSettings key={p.id} project={p} onSaved={project.reload} />
          <BatchesPanel projectId={p.id} version={version} />
          <WebhooksPanel projectId={p.id} />
          <GoldenGrades projectId={p.id} version={version} />
          <TaskTable projectId={p.id} version={version} controls={p.schema.controls} />
        </>
      )}
    </section>
  );
}
