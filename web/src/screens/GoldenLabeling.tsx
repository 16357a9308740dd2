// Where an expert labels tasks as golden answers: the project's tasks that
// are not golden yet, one at a time in the labeling editor; a save makes the
// task golden with that answer (PUT /tasks/{id}/golden).
import { useState } from 'react';
import { api, type Media, type ResultItem } from '../api';
import { ErrorText, withField } from '../components/ErrorText';
import { TaskEditor } from '../editor/TaskEditor';
import { Link, paths } from '../router';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';
import { ProjectNav } from '../versions/ProjectNav';

export function GoldenLabeling({ projectId }: { projectId: number }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  const [generation, setGeneration] = useState(0);
  const [passed, setPassed] = useState<number[]>([]);
  const tasks = useAsync(() => api.listTasks(projectId, { state: 'new', limit: 200 }), [projectId, generation]);
  const save = useAction();
  const [saved, setSaved] = useState(0);
  const candidates = (tasks.data?.items ?? []).filter((t) => !(t as { golden?: boolean }).golden && !passed.includes(t.id));
  const task = candidates[0];

  const onSubmit = async (result: ResultItem[], media: Media | undefined) => {
    if (!task) return;
    const ok = await save.run(() => api.setGolden(task.id, result, media));
    if (ok) {
      setSaved((n) => n + 1);
      setGeneration((g) => g + 1);
    }
  };

  return (
    <section className="golden-screen" data-testid="golden-screen">
      <ProjectNav projectId={projectId} projectName={project.data?.name} current="golden" />
      <h1>Golden tasks</h1>
      <p className="muted">
        Label a task as the expert answer: it becomes a golden task, graded silently in the annotation stream and
        available to golden sets for <Link to={paths.bakeoffs(projectId)}>bake-offs</Link>. {saved > 0 && `${saved} saved.`}
      </p>
      <ErrorText error={project.error ?? tasks.error} />
      <ErrorText error={withField(save.error)} testId="golden-error" />
      {project.data && task && (
        <TaskEditor
          key={task.id}
          task={task}
          controls={project.data.schema.controls}
          busy={save.busy}
          submitLabel="Save as golden answer"
          onSubmit={(result, media) => void onSubmit(result, media)}
          onSkip={() => setPassed((p) => [...p, task.id])}
        />
      )}
      {tasks.data && !task && <p data-testid="golden-none">No new task is left to label as golden.</p>}
    </section>
  );
}
