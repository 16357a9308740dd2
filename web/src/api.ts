// The typed client for Plumb's HTTP API (docs/api.md). Every call goes through
// `request`, which sends the session cookie and turns an error body into an
// ApiError whose message is the server's own `error.message`.

export type Role = 'admin' | 'manager' | 'reviewer' | 'annotator';

export interface User {
  id: number;
  username: string;
  role: Role;
}

export interface UserRef {
  id: number;
  username: string;
}

export interface Attribute {
  name: string;
  type: 'boolean' | 'enum' | 'string';
  values?: string[];
}

interface ControlBase {
  name: string;
  source: string;
  required?: boolean;
}

export interface ChoiceControl extends ControlBase {
  type: 'choice';
  labels: string[];
  multiple?: boolean;
}

/** bbox over an image, or over a video (`media: 'video'`: one item per keyframe of a track). */
export interface BboxControl extends ControlBase {
  type: 'bbox';
  labels: string[];
  media?: 'image' | 'video';
  attributes?: Attribute[];
}

export interface PolygonControl extends ControlBase {
  type: 'polygon';
  labels: string[];
  attributes?: Attribute[];
}

export interface KeypointControl extends ControlBase {
  type: 'keypoint';
  labels: string[];
  attributes?: Attribute[];
}

/** Named entities over a text (code points), or time segments over an audio (`media: 'audio'`, seconds). */
export interface SpanControl extends ControlBase {
  type: 'span';
  labels: string[];
  media?: 'text' | 'audio';
  overlap?: boolean;
  attributes?: Attribute[];
}

export interface TextControl extends ControlBase {
  type: 'text';
  max_length?: number;
}

export interface RatingControl extends ControlBase {
  type: 'rating';
  max?: number;
}

export type Control =
  | ChoiceControl
  | BboxControl
  | PolygonControl
  | KeypointControl
  | SpanControl
  | TextControl
  | RatingControl;

export interface Schema {
  controls: Control[];
}

export interface Settings {
  overlap: number;
  lease_seconds: number;
}

export interface Counts {
  total: number;
  new: number;
  annotating: number;
  done: number;
}

export interface Project {
  id: number;
  name: string;
  schema: Schema;
  settings: Settings;
  created_at: string;
  counts: Counts;
}

export interface NewProject {
  name: string;
  schema: Schema;
  settings?: Partial<Settings>;
}

export interface ProjectPatch {
  name?: string;
  schema?: Schema;
  settings?: Partial<Settings>;
}

export interface Progress {
  total: number;
  done: number;
  mine: number;
}

export type TaskState = 'new' | 'annotating' | 'done';

export interface ChoiceResult {
  control: string;
  type: 'choice';
  values: string[];
}

export type Attributes = Record<string, boolean | string>;

interface RegionBase {
  control: string;
  id?: string;
  label: string;
  attributes?: Attributes;
}

/** Pixels of the natural image size; rotation in degrees clockwise around (x, y). */
export interface BboxResult extends RegionBase {
  type: 'bbox';
  x: number;
  y: number;
  w: number;
  h: number;
  rotation?: number;
  /** Video only: the track this keyframe belongs to, its frame, and whether the object is hidden from here on. */
  track?: string;
  frame?: number;
  outside?: boolean;
}

export interface PolygonResult extends RegionBase {
  type: 'polygon';
  points: [number, number][];
}

export interface KeypointResult extends RegionBase {
  type: 'keypoint';
  x: number;
  y: number;
}

/** Text: code point offsets, end exclusive, with the covered text. Audio: seconds, no text. */
export interface SpanResult extends RegionBase {
  type: 'span';
  start: number;
  end: number;
  text?: string;
}

export interface TextResult {
  control: string;
  type: 'text';
  value: string;
}

export interface RatingResult {
  control: string;
  type: 'rating';
  value: number;
}

export type ResultItem =
  | ChoiceResult
  | BboxResult
  | PolygonResult
  | KeypointResult
  | SpanResult
  | TextResult
  | RatingResult;

export interface TaskAnnotation {
  id: number;
  annotator: UserRef;
  result: ResultItem[];
  revision: number;
  updated_at: string;
}

export interface Task {
  id: number;
  project_id: number;
  data: Record<string, unknown>;
  priority: number;
  state: TaskState;
  created_at: string;
  annotations: TaskAnnotation[];
  /** A result to start from (e.g. a model's prediction); the editor loads it as editable regions. */
  prelabel?: Prelabel;
}

/** A result with the media size its geometry was made for. */
export interface InitialResult {
  result: ResultItem[];
  media?: Media | null;
}

/** A model's prediction for a task, which the editor starts from. */
export interface Prelabel extends InitialResult {
  model_name?: string;
  model_version?: string;
  score?: number | null;
}

export interface TaskPage {
  items: Task[];
  next_cursor: string | null;
  total: number;
}

export interface TaskQuery {
  state?: TaskState;
  annotator?: number;
  limit?: number;
  cursor?: string;
}

export interface Lease {
  id: number;
  expires_at: string;
}

export interface NextTask {
  task: Task;
  lease: Lease;
}

export interface Media {
  width?: number;
  height?: number;
  frames?: number;
  fps?: number;
  duration?: number;
}

export interface NewAnnotation {
  result: ResultItem[];
  lease_id: number;
  lead_time_ms: number;
  media?: Media;
}

export interface Revision {
  id: number;
  annotation_id: number;
  task_id: number;
  revision: number;
  annotator: UserRef;
  result: ResultItem[];
  media: Media | null;
  lead_time_ms: number;
  source: string;
  parent_id: number | null;
  created_at: string;
}

export interface Token {
  id: number;
  token: string;
}

export type ExportFormat = 'json' | 'jsonl' | 'csv' | LabelFormat;

/** Formats that carry labels (docs/formats.md), for import with `?format=` and for export. */
export type LabelFormat = 'label_studio' | 'coco' | 'yolo' | 'voc' | 'conll' | 'spacy';

/** Each label format as people know it, the files an import takes, and the file an export writes. */
export const labelFormats: { format: LabelFormat; label: string; accept: string; file: string }[] = [
  { format: 'label_studio', label: 'Label Studio', accept: '.json', file: 'label_studio.json' },
  { format: 'coco', label: 'COCO', accept: '.json', file: 'coco.json' },
  { format: 'yolo', label: 'YOLO', accept: '.zip', file: 'yolo.zip' },
  { format: 'voc', label: 'Pascal VOC', accept: '.xml,.zip', file: 'voc.zip' },
  { format: 'conll', label: 'CoNLL', accept: '.conll,.txt,.iob', file: 'conll' },
  { format: 'spacy', label: 'spaCy', accept: '.jsonl,.ndjson', file: 'spacy.jsonl' },
];

export interface ImportOutcome {
  imported: number;
  annotations?: number;
  predictions?: number;
  dropped_annotations?: number;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
  readonly line?: number;

  constructor(status: number, code: string, message: string, field?: string, line?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.line = line;
  }
}

const base = '/api/v1';

let onUnauthenticated: () => void = () => {};

/** Called whenever the server answers 401 to anything but a login attempt. */
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

interface RequestOptions {
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
}

async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  let response: Response;
  try {
    response = await fetch(base + path, { method, headers, body, credentials: 'same-origin' });
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ApiError(0, 'network', `Could not reach the server (${detail}).`);
  }
  if (!response.ok) {
    const error = await readError(response);
    if (error.status === 401 && path !== '/auth/login') onUnauthenticated();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

async function readError(response: Response): Promise<ApiError> {
  const fallback = `${response.status} ${response.statusText}`.trim();
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; field?: string; line?: number };
    };
    const e = body.error ?? {};
    return new ApiError(response.status, e.code ?? 'unknown', e.message || fallback, e.field, e.line);
  } catch {
    return new ApiError(response.status, 'unknown', fallback);
  }
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const api = {
  login: (username: string, password: string) =>
    request<{ user: User }>('POST', '/auth/login', { json: { username, password } }),
  logout: () => request<void>('POST', '/auth/logout'),
  me: () => request<User>('GET', '/me'),
  createToken: (name?: string) => request<Token>('POST', '/tokens', { json: { name } }),

  createUser: (username: string, password: string, role: Role) =>
    request<User>('POST', '/users', { json: { username, password, role } }),
  listUsers: () => request<{ items: User[] }>('GET', '/users'),

  listProjects: () => request<{ items: Project[] }>('GET', '/projects'),
  createProject: (project: NewProject) => request<Project>('POST', '/projects', { json: project }),
  getProject: (id: number) => request<Project>('GET', `/projects/${id}`),
  updateProject: (id: number, patch: ProjectPatch) =>
    request<Project>('PATCH', `/projects/${id}`, { json: patch }),
  deleteProject: (id: number) => request<void>('DELETE', `/projects/${id}`),
  addMember: (id: number, userId: number) =>
    request<void>('POST', `/projects/${id}/members`, { json: { user_id: userId } }),
  listMembers: (id: number) => request<{ items: User[] }>('GET', `/projects/${id}/members`),
  progress: (id: number) => request<Progress>('GET', `/projects/${id}/progress`),

  importTasks: (id: number, body: Blob | string, contentType: string, format?: LabelFormat) =>
    request<ImportOutcome>('POST', `/projects/${id}/tasks${format ? query({ format }) : ''}`, {
      body,
      headers: { 'Content-Type': contentType },
    }),
  listTasks: (id: number, q: TaskQuery = {}) =>
    request<TaskPage>('GET', `/projects/${id}/tasks${query({ ...q })}`),
  getTask: (id: number) => request<Task>('GET', `/tasks/${id}`),

  /** Resolves to null when nothing is left for the caller (204). */
  next: async (projectId: number): Promise<NextTask | null> =>
    (await request<NextTask | undefined>('POST', `/projects/${projectId}/next`)) ?? null,
  submitAnnotation: (taskId: number, annotation: NewAnnotation, idempotencyKey: string) =>
    request<{ annotation: Revision }>('POST', `/tasks/${taskId}/annotations`, {
      json: annotation,
      headers: { 'Idempotency-Key': idempotencyKey },
    }),
  skip: (taskId: number, leaseId: number) =>
    request<{ skipped: boolean }>('POST', `/tasks/${taskId}/skip`, { json: { lease_id: leaseId } }),
  listAnnotations: (taskId: number) =>
    request<{ items: Revision[] }>('GET', `/tasks/${taskId}/annotations`),

  exportUrl: (id: number, format: ExportFormat) => `${base}/projects/${id}/export?format=${format}`,

  health: async (): Promise<boolean> => {
    try {
      return (await fetch('/healthz', { credentials: 'same-origin' })).ok;
    } catch {
      return false;
    }
  },
};

/** The Content-Type an import file is sent with, chosen by its extension. */
export function importContentType(fileName: string): string | null {
  const extension = fileName.toLowerCase().split('.').pop();
  switch (extension) {
    case 'json':
      return 'application/json';
    case 'jsonl':
    case 'ndjson':
      return 'application/x-ndjson';
    case 'csv':
      return 'text/csv';
    default:
      return null;
  }
}

/**
 * A fresh Idempotency-Key. crypto.randomUUID exists only in secure contexts,
 * and a self-hosted server is often reached over plain HTTP on a LAN address.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function' && window.isSecureContext) {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
