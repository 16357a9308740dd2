// The manager's editor of a project's instructions: the Markdown body with a
// live preview, images uploaded and inserted at the cursor, the examples and
// counter-examples, and a change note. Save (Ctrl+S) makes a new version.
import { useDeferredValue, useRef, useState, type ClipboardEvent, type DragEvent, type KeyboardEvent } from 'react';
import {
  api,
  instructionsImageUrl,
  type Control,
  type ExampleKind,
  type InstructionsExample,
  type InstructionsVersion,
} from '../api';
import { ErrorText, withField } from '../components/ErrorText';
import { useAction } from '../useAction';
import { InstructionsView } from './InstructionsView';

/** An example as the form holds it: the task id as typed. */
interface ExampleDraft {
  key: number;
  kind: ExampleKind;
  title: string;
  text: string;
  image: string | null;
  taskId: string;
}

// The limits of docs/instructions.md, checked before sending so the form can say where.
const maxExamples = 200;
const maxTitleBytes = 200;
const maxTextBytes = 64 * 1024;
const maxBodyBytes = 1024 * 1024;
const maxImageBytes = 5 * 1024 * 1024;
const imageTypes = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

const bytes = (text: string) => new TextEncoder().encode(text).length;

let nextKey = 1;

function draftOf(example: InstructionsExample): ExampleDraft {
  return {
    key: nextKey++,
    kind: example.kind,
    title: example.title,
    text: example.text ?? '',
    image: example.image ?? null,
    taskId: example.task_id === null || example.task_id === undefined ? '' : String(example.task_id),
  };
}

function exampleOf(draft: ExampleDraft): InstructionsExample {
  const taskId = draft.taskId.trim();
  return {
    kind: draft.kind,
    title: draft.title.trim(),
    text: draft.text,
    image: draft.image,
    task_id: taskId === '' ? null : Number(taskId),
  };
}

/** What is wrong with the draft, or nothing. */
function problemOf(body: string, examples: ExampleDraft[]): string | undefined {
  if (bytes(body) > maxBodyBytes) return 'The text is longer than 1 MiB.';
  if (examples.length > maxExamples) return `At most ${maxExamples} examples.`;
  for (const [index, e] of examples.entries()) {
    const name = `Example ${index + 1}`;
    const title = bytes(e.title.trim());
    if (title === 0) return `${name} needs a title.`;
    if (title > maxTitleBytes) return `${name}: the title is longer than ${maxTitleBytes} bytes.`;
    if (bytes(e.text) > maxTextBytes) return `${name}: the text is longer than 64 KiB.`;
    const taskId = e.taskId.trim();
    if (taskId !== '' && !(/^\d+$/.test(taskId) && Number(taskId) > 0)) return `${name}: the task is a task id, a number.`;
  }
  return undefined;
}

/** An image file checked as the server will (by type and size), or why not. */
function imageProblem(file: File): string | undefined {
  if (!imageTypes.includes(file.type)) return `${file.name}: only PNG, JPEG, GIF and WebP images.`;
  if (file.size > maxImageBytes) return `${file.name}: larger than 5 MiB.`;
  return undefined;
}

/** Alt text from a file name: no extension, nothing that would end the Markdown's brackets. */
function altOf(name: string): string {
  return name.replace(/\.[^.]+$/, '').replace(/[[\]\\]/g, ' ').trim();
}

export function InstructionsEditor({ projectId, controls, start, onSaved }: {
  projectId: number;
  controls: Control[];
  /** The version to start from (the current one), or null for a project without instructions. */
  start: InstructionsVersion | null;
  onSaved: (version: InstructionsVersion) => void;
}) {
  const [body, setBody] = useState(start?.body ?? '');
  const [examples, setExamples] = useState<ExampleDraft[]>(() => (start?.examples ?? []).map(draftOf));
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<string>();
  const upload = useAction();
  const save = useAction();
  const textArea = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const preview = useDeferredValue(body);
  const previewExamples = useDeferredValue(examples);
  const previewVersion: InstructionsVersion = {
    version: start ? start.version + 1 : 1,
    body: preview,
    examples: previewExamples.map((d) => ({ ...exampleOf(d), title: d.title || '(no title)', task_id: null })),
    note: note || null,
    author: null,
    created_at: new Date().toISOString(),
  };

  const unchanged =
    start !== null &&
    body === start.body &&
    JSON.stringify(examples.map(exampleOf)) === JSON.stringify(start.examples.map((e) => exampleOf(draftOf(e))));

  const edit = (key: number, change: Partial<ExampleDraft>) =>
    setExamples((list) => list.map((e) => (e.key === key ? { ...e, ...change } : e)));

  const uploadImage = async (file: File): Promise<{ hash: string; url: string } | undefined> => {
    const wrong = imageProblem(file);
    if (wrong) {
      setProblem(wrong);
      return undefined;
    }
    setProblem(undefined);
    let uploaded: { hash: string; url: string } | undefined;
    await upload.run(async () => {
      uploaded = await api.uploadInstructionsImage(projectId, file);
    });
    return uploaded;
  };

  // The image goes where the cursor was when the upload started.
  const insertImages = async (files: File[]) => {
    const area = textArea.current;
    let at = area ? area.selectionEnd : body.length;
    for (const file of files) {
      const uploaded = await uploadImage(file);
      if (!uploaded) return;
      const markdown = `![${altOf(file.name)}](${uploaded.url || instructionsImageUrl(uploaded.hash)})`;
      const insertAt = at;
      setBody((text) => {
        const before = text.slice(0, insertAt);
        const after = text.slice(insertAt);
        const lead = before === '' || before.endsWith('\n') ? '' : '\n';
        const trail = after.startsWith('\n') ? '' : '\n';
        at = insertAt + lead.length + markdown.length + trail.length;
        return `${before}${lead}${markdown}${trail}${after}`;
      });
      requestAnimationFrame(() => {
        textArea.current?.focus();
        textArea.current?.setSelectionRange(at, at);
      });
    }
  };

  const imageFiles = (list: FileList | null | undefined) => [...(list ?? [])].filter((f) => f.type.startsWith('image/'));

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const files = imageFiles(event.clipboardData.files);
    if (files.length === 0) return;
    event.preventDefault();
    void insertImages(files);
  };

  const onDrop = (event: DragEvent<HTMLTextAreaElement>) => {
    const files = imageFiles(event.dataTransfer.files);
    if (files.length === 0) return;
    event.preventDefault();
    void insertImages(files);
  };

  const submit = async () => {
    if (save.busy) return;
    const wrong = problemOf(body, examples);
    setProblem(wrong);
    if (wrong) return;
    await save.run(async () => {
      const version = await api.saveInstructions(projectId, {
        body,
        examples: examples.map(exampleOf),
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      setNote('');
      onSaved(version);
    });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      event.preventDefault();
      void submit();
    }
  };

  return (
    <div className="panel instructions-editor" onKeyDown={onKeyDown} data-testid="instructions-editor">
      <h2>{start ? `Edit (version ${start.version} is current)` : 'Write the instructions'}</h2>
      <div className="markdown-split">
        <div className="markdown-source">
          <div className="row">
            <label htmlFor="instructions-body">Text (Markdown)</label>
            <span className="spacer" />
            <input
              ref={fileInput}
              type="file"
              accept={imageTypes.join(',')}
              multiple
              hidden
              onChange={(e) => {
                const files = [...(e.target.files ?? [])];
                e.target.value = '';
                void insertImages(files);
              }}
              data-testid="instructions-image-file"
            />
            <button type="button" disabled={upload.busy} onClick={() => fileInput.current?.click()} data-testid="insert-image">
              {upload.busy ? 'Uploading…' : 'Insert image'}
            </button>
          </div>
          <textarea
            id="instructions-body"
            ref={textArea}
            className="markdown-input"
            rows={20}
            value={body}
            onChange={(e) => setBody(e.target.value)}
            onPaste={onPaste}
            onDrop={onDrop}
            spellCheck
            data-testid="instructions-body-input"
          />
          <p className="muted small">Images can also be pasted or dropped into the text.</p>
          <ErrorText error={upload.error} />
        </div>
        <div className="markdown-preview" data-testid="instructions-preview">
          <div className="label-like">Preview</div>
          <InstructionsView version={previewVersion} controls={controls} header={false} />
        </div>
      </div>

      <h3>Examples and counter-examples</h3>
      {examples.length === 0 && <p className="muted">None yet.</p>}
      <ol className="example-forms">
        {examples.map((e, index) => (
          <li key={e.key} className={`card example-form example-${e.kind}`} data-testid="example-form">
            <div className="row">
              <label className="inline">
                Kind
                <select
                  value={e.kind}
                  onChange={(ev) => edit(e.key, { kind: ev.target.value as ExampleKind })}
                  data-testid="example-kind"
                >
                  <option value="example">example</option>
                  <option value="counter_example">counter-example</option>
                </select>
              </label>
              <label className="inline grow">
                Title
                <input value={e.title} onChange={(ev) => edit(e.key, { title: ev.target.value })} data-testid="example-title" />
              </label>
              <label className="inline">
                Task
                <input
                  className="narrow-number"
                  inputMode="numeric"
                  value={e.taskId}
                  placeholder="none"
                  onChange={(ev) => edit(e.key, { taskId: ev.target.value })}
                  data-testid="example-task"
                />
              </label>
              <button
                type="button"
                onClick={() => setExamples((list) => list.filter((x) => x.key !== e.key))}
                data-testid="example-remove"
                aria-label={`Remove example ${index + 1}`}
              >
                Remove
              </button>
            </div>
            <label>
              Text (Markdown)
              <textarea rows={3} value={e.text} onChange={(ev) => edit(e.key, { text: ev.target.value })} data-testid="example-text" />
            </label>
            <div className="row">
              {e.image ? (
                <>
                  <img className="example-thumb" src={instructionsImageUrl(e.image)} alt="" />
                  <button type="button" onClick={() => edit(e.key, { image: null })} data-testid="example-image-remove">
                    Remove image
                  </button>
                </>
              ) : (
                <label className="inline">
                  Image
                  <input
                    type="file"
                    accept={imageTypes.join(',')}
                    onChange={(ev) => {
                      const file = ev.target.files?.[0];
                      ev.target.value = '';
                      if (file) void uploadImage(file).then((u) => u && edit(e.key, { image: u.hash }));
                    }}
                    data-testid="example-image"
                  />
                </label>
              )}
            </div>
          </li>
        ))}
      </ol>
      <div className="row">
        <button
          type="button"
          disabled={examples.length >= maxExamples}
          onClick={() => setExamples((list) => [...list, draftOf({ kind: 'example', title: '', text: '', image: null, task_id: null })])}
          data-testid="add-example"
        >
          Add example
        </button>
        <button
          type="button"
          disabled={examples.length >= maxExamples}
          onClick={() =>
            setExamples((list) => [...list, draftOf({ kind: 'counter_example', title: '', text: '', image: null, task_id: null })])
          }
          data-testid="add-counter-example"
        >
          Add counter-example
        </button>
      </div>

      <div className="row save-row">
        <label className="inline grow">
          Change note
          <input
            value={note}
            onChange={(e) => setNote(e.target.value)}
            placeholder="what changed, for the labelers"
            data-testid="instructions-note"
          />
        </label>
        <button
          type="button"
          className="primary"
          disabled={save.busy || unchanged || (start === null && body.trim() === '' && examples.length === 0)}
          onClick={() => void submit()}
          data-testid="save-instructions"
        >
          Save as version {start ? start.version + 1 : 1} <kbd>Ctrl+S</kbd>
        </button>
      </div>
      <ErrorText error={problem} testId="instructions-problem" />
      <ErrorText error={withField(save.error)} testId="instructions-save-error" />
    </div>
  );
}
