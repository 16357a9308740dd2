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

export type ConsensusMethod = 'majority' | 'dawid_skene';

/** A project's workflow settings (docs/workflow.md); a server may leave out keys it predates. */
export interface Settings {
  overlap: number;
  lease_seconds: number;
  /** Percent (0–100) of completed tasks sampled for review. */
  review_share?: number;
  /** Share (0–1) of an annotator's tasks that are golden. */
  golden_rate?: number;
  consensus?: ConsensusMethod;
  /** Agreement (0–1) below which a task goes to adjudication; 0 never adjudicates. */
  agreement_threshold?: number;
  iou_threshold?: number;
  deadline_warning_seconds?: number;
  /** After priority and deadline: import order, or the built-in learner's uncertainty. */
  queue_order?: QueueOrder;
  uncertainty?: UncertaintyMeasure;
  /** The choice control the built-in learner learns; null: no learner setting. */
  learner_control?: string | null;
}

export type QueueOrder = 'import' | 'uncertainty';
export type UncertaintyMeasure = 'margin' | 'entropy';

export interface Counts {
  total: number;
  new: number;
  annotating: number;
  done: number;
  reviewing?: number;
  adjudicating?: number;
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

export type TaskState = 'new' | 'annotating' | 'reviewing' | 'adjudicating' | 'done';

export const taskStates: TaskState[] = ['new', 'annotating', 'reviewing', 'adjudicating', 'done'];

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
  /** The instructions version in force when the current revision was made (0: none). */
  instructions_version?: number;
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
  deadline?: string | null;
  /** Not done and within the project's deadline_warning_seconds of its deadline. */
  deadline_soon?: boolean;
  /** With rule `rework`: the caller's own last result, which the editor starts from. */
  previous_result?: ResultItem[] | InitialResult | null;
}

/** A result with the media size its geometry was made for. */
export interface InitialResult {
  result: ResultItem[];
  media?: Media | null;
}

/** A model's prediction for a task, which the editor starts from. */
export interface Prelabel extends InitialResult {
  /** The prediction's id, sent back with the submit (prelabel_id). */
  id?: number;
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

/** The queue rule that picked a task (docs/workflow.md, "Who gets which task"). */
export type QueueRule = 'existing_lease' | 'rework' | 'golden' | 'priority';

/** Why a reviewer sent a task back. */
export interface ReviewNote {
  comment: string;
  reviewer: string | UserRef;
  at?: string;
}

export interface NextTask {
  task: Task;
  lease: Lease;
  rule?: QueueRule;
  review?: ReviewNote;
}

export type ReviewStage = 'review' | 'adjudication';

export interface ReviewAnnotation {
  annotation_id: number;
  user_id: number;
  username: string;
  result: ResultItem[];
  media?: Media | null;
  instructions_version?: number;
}

/** The label consensus proposes; `method` e.g. majority, dawid_skene, review_fix. */
export interface FinalLabel {
  result: ResultItem[];
  media?: Media | null;
  method: string;
  agreement: number;
}

export interface ReviewItem {
  task: Task;
  lease: Lease;
  stage: ReviewStage;
  annotations: ReviewAnnotation[];
  final: FinalLabel | null;
}

export type ReviewDecision = 'accept' | 'reject' | 'fix' | 'resolve';

export interface NewReview {
  lease_id: number;
  decision: ReviewDecision;
  comment?: string;
  result?: ResultItem[];
  media?: Media;
  annotation_id?: number;
}

export type WorkforceKind = 'internal' | 'vendor';
export type PricingModel = 'per_label' | 'per_hour';

export interface Pricing {
  model: PricingModel;
  rate: number;
  currency: string;
}

export interface Workforce {
  id: number;
  name: string;
  kind: WorkforceKind;
  pricing: Pricing;
  /** With GET /workforces/{id}. */
  members?: User[];
  projects?: { id: number; name: string }[];
}

export interface NewWorkforce {
  name: string;
  kind: WorkforceKind;
  pricing: Pricing;
}

export interface BatchLabel {
  task_id: number;
  data: Record<string, unknown>;
  result: ResultItem[];
  media?: Media | null;
  method: string;
  agreement: number;
}

export interface Batch {
  id: number;
  project_id: number;
  name: string | null;
  state: 'open' | 'done';
  total: number;
  done: number;
  created_at: string;
  completed_at: string | null;
  deadline: string | null;
  labels?: BatchLabel[];
}

export type WebhookEvent = 'task.completed' | 'batch.completed' | 'review.rejected' | 'labeler.paused';
export const webhookEvents: WebhookEvent[] = ['task.completed', 'batch.completed', 'review.rejected', 'labeler.paused'];

export interface Webhook {
  id: number;
  project_id?: number;
  url: string;
  events: WebhookEvent[];
  created_at?: string;
}

export interface Delivery {
  id: number;
  event: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
}

export interface LabelerGrade {
  user_id: number;
  username: string;
  graded: number;
  correct: number;
  accuracy: number;
  mean_score: number;
}

export interface Grade {
  task_id: number;
  user_id: number;
  score: number;
  correct: boolean;
  created_at: string;
}

export interface GoldenGrades {
  labelers: LabelerGrade[];
  items: Grade[];
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
  /** The prediction the editor started from, for the acceptance statistics. */
  prelabel_id?: number;
}

export type MlProtocol = 'plumb' | 'label_studio' | 'builtin_learner' | 'span_prelabeler';

/** One label's rules of the span pre-labeler (docs/automation.md). */
export interface SpanLabelRules {
  terms?: string[];
  patterns?: string[];
  case_sensitive?: boolean;
}

/** A project's span pre-labeler as saved. */
export interface SpanPrelabeler {
  control: string;
  labels: Record<string, SpanLabelRules>;
  allow_overlaps: boolean;
  version: string;
  model_name: string;
  backend_id: number | null;
  updated_at: string;
}

export interface NewSpanPrelabeler {
  control: string;
  labels: Record<string, SpanLabelRules>;
  allow_overlaps?: boolean;
}

/** An ML backend of a project (docs/automation.md). */
export interface MlBackend {
  id: number;
  project_id: number;
  name: string;
  url: string;
  protocol: MlProtocol;
  has_auth: boolean;
  enabled: boolean;
  on_import: boolean;
  continuous: boolean;
  train: boolean;
  batch_size: number;
  concurrency: number;
  timeout_ms: number;
  health: 'unknown' | 'ok' | 'error';
  last_error: string;
  checked_at: string | null;
  model_version: string;
  created_at: string;
}

export interface NewMlBackend {
  name?: string;
  url?: string;
  protocol?: MlProtocol;
  auth_header?: string;
  enabled?: boolean;
  on_import?: boolean;
  continuous?: boolean;
  train?: boolean;
  batch_size?: number;
  concurrency?: number;
  timeout_ms?: number;
}

export interface PredictionJob {
  id: number;
  project_id: number;
  backend_id: number;
  trigger: 'import' | 'manual' | 'continuous';
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  total: number;
  processed: number;
  predicted: number;
  failed: number;
  last_error: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface ModelAcceptance {
  model_name: string;
  model_version: string;
  prelabeled: number;
  unchanged: number;
  edited: number;
  discarded: number;
  unchanged_share: number | null;
  mean_time_ms: number | null;
}

export interface AutomationStats {
  from: string;
  to: string;
  models: ModelAcceptance[];
  time_per_task: {
    with_prelabel: { labels: number; mean_ms: number | null };
    without_prelabel: { labels: number; mean_ms: number | null };
  };
  accuracy: {
    model_name: string;
    model_version: string;
    points: { day: string; scored: number; accuracy: number | null; cumulative_accuracy: number | null }[];
  }[];
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
  instructions_version?: number;
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

/** From–to of an analytics call: ISO dates or times (UTC), `to` exclusive. */
export interface DateRange {
  from?: string;
  to?: string;
}

export interface GoldenFigures {
  graded: number;
  correct: number;
  accuracy: number | null;
  /** The 95 % Wilson interval of `accuracy`. */
  low: number | null;
  high: number | null;
}

export interface Cost {
  currency: string | null;
  total: number;
  per_label: number | null;
  per_accepted_label: number | null;
}

/** The figures of docs/analytics.md, for a labeler, a workforce, a day or the whole project. */
export interface AnalyticsRow {
  labels: number;
  active_hours: number;
  labels_per_hour: number | null;
  median_active_seconds: number | null;
  revisions: number;
  golden: GoldenFigures;
  agreement: { compared: number; mean: number | null };
  reviewed: number;
  rejected: number;
  rejection_rate: number | null;
  accepted: number;
  /** One currency in a row; a list, one per currency, in the summary (and maybe in rows mixing currencies). */
  cost: Cost | Cost[] | null;
}

export interface LabelerRow extends AnalyticsRow {
  user_id: number;
  username: string;
  /** The workforce whose pricing applies, or null. */
  workforce_id: number | null;
  unpriced: boolean;
  /** Cohen's κ against the final labels, per single-choice control. */
  kappa: { control: string; kappa: number | null }[];
}

export interface WorkforceRow extends AnalyticsRow {
  workforce_id: number;
  name: string;
  kind: WorkforceKind;
  pricing: Pricing;
  /** Labelers who labeled (a count, or the labelers themselves). */
  members: number | UserRef[];
}

/** Golden accuracy and agreement of the labels made under one instructions version (0: none). */
export interface InstructionsVersionRow {
  version: number;
  labels: number;
  golden: GoldenFigures;
  agreement: { compared: number; mean: number | null };
}

export interface DayRow extends AnalyticsRow {
  /** A UTC day, e.g. 2026-12-01. */
  day: string;
  tasks_done: number;
  median_turnaround_seconds: number | null;
}

export interface ControlAgreement {
  control: string;
  labels: string[];
  items: number;
  fleiss_kappa: number | null;
  krippendorff_alpha: number | null;
}

export interface AnalyticsSummary {
  from: string;
  to: string;
  totals: AnalyticsRow & { tasks_done: number; median_turnaround_seconds: number | null };
  agreement: ControlAgreement[];
}

export interface Confusion {
  control: string;
  labels: string[];
  /** observed[t][g]: the label g given on tasks whose consensus was t. */
  observed: number[][];
  dawid_skene: {
    fitted_tasks: number;
    labelers: { user_id: number; username: string; matrix: number[][] }[];
  } | null;
}

export interface ConfusionQuery extends DateRange {
  control?: string;
  user?: number;
}

export interface TimeseriesQuery extends DateRange {
  user?: number;
  workforce?: number;
}

/** The analytics tables that answer as CSV with `format=csv`. */
export type AnalyticsTable = 'summary' | 'labelers' | 'workforces' | 'timeseries' | 'confusion' | 'instructions';

export interface SampleQuery extends DateRange {
  seed?: string;
  size?: number;
  user?: number;
  workforce?: number;
  label?: string;
}

/** A sampled label: the current revision of one annotation. */
export interface SampleAnnotation {
  id: number;
  annotator?: UserRef;
  user_id?: number;
  username?: string;
  result: ResultItem[];
  media?: Media | null;
  revision?: number;
  created_at?: string;
  updated_at?: string;
}

export interface Sample {
  task: Task;
  annotation: SampleAnnotation;
}

export interface SamplePage {
  seed: string | number;
  total: number;
  items: Sample[];
}

export interface SendOutcome {
  /** How many were sent (or, from an older server, their ids). */
  sent: number | number[];
  /** The tasks sent. */
  task_ids?: number[];
  /** The tasks that were not done, left alone. */
  skipped: number[];
}

export interface DisagreementQuery {
  model?: string;
  label?: string;
  min_score?: number;
  limit?: number;
  cursor?: string;
}

export interface Disagreement {
  task_id: number;
  prediction_id: number;
  model_name: string;
  model_version: string | null;
  score: number;
  controls: { control: string; score: number }[];
  /** The classes of the final label. */
  labels: string[];
  state: TaskState;
}

export interface DisagreementPage {
  items: Disagreement[];
  next_cursor: string | null;
  total: number;
}

export interface TopDisagreements {
  k: number;
  model?: string;
  label?: string;
  min_score?: number;
}

export type ExampleKind = 'example' | 'counter_example';

/** An example or counter-example of the instructions (docs/instructions.md). */
export interface InstructionsExample {
  kind: ExampleKind;
  title: string;
  /** Markdown. */
  text: string;
  /** The SHA-256 of an uploaded image, or null. */
  image: string | null;
  task_id: number | null;
}

/** A task an example links, with its correct label (its golden answer, else its final label). */
export interface ExampleTask {
  task: Task;
  label: ResultItem[] | (InitialResult & { method?: string }) | null;
}

export interface InstructionsVersion {
  version: number;
  /** Markdown. */
  body: string;
  examples: InstructionsExample[];
  note: string | null;
  author: UserRef | null;
  created_at: string;
  /** With GET …/instructions/{version}: the tasks the examples link, by id. */
  tasks?: Record<string, ExampleTask>;
}

export type InstructionsVersionSummary = Pick<InstructionsVersion, 'version' | 'note' | 'author' | 'created_at'>;

export interface InstructionsState {
  /** The current version, or null when the project has no instructions. */
  current: number | null;
  /** The caller's newest acknowledged version, 0 if none. */
  acknowledged: number;
}

export interface NewInstructions {
  body: string;
  examples?: InstructionsExample[];
  note?: string;
}

export interface InstructionsAck {
  user_id: number;
  username: string;
  /** The newest version the member acknowledged, 0 if none. */
  acknowledged: number;
  at: string | null;
}

export interface InstructionsAcks {
  current: number | null;
  items: InstructionsAck[];
}

export interface UploadedImage {
  hash: string;
  url: string;
}

/** An immutable snapshot of a project's final labels (docs/datasets.md). */
export interface DatasetVersion {
  id: number;
  name: string;
  note: string | null;
  hash: string;
  tasks: number;
  created_by: UserRef | null;
  created_at: string;
}

export interface DatasetDiff {
  from: string;
  to: string;
  added: number;
  removed: number;
  relabeled: number;
  unchanged: number;
  classes: { class: string; added: number; removed: number }[];
  /** At most 1,000 ids each. */
  tasks: { added: number[]; removed: number[]; relabeled: number[] };
}

export type HistorySource = 'human' | 'import' | 'review_fix' | 'adjudication';

export interface HistoryRevision {
  revision: number;
  annotation_id: number;
  annotator: UserRef | null;
  created_at: string;
  source: HistorySource | string;
  /** Why the revision was made: first, edit, rework, instructions, review_fix, adjudication. */
  reason: string | null;
  /** The reviewer's comment of a rework. */
  comment?: string | null;
  /** Null from a server that does not record it. */
  instructions_version: number | null;
  result: ResultItem[];
  media?: Media | null;
}

export interface HistoryReview {
  reviewer: UserRef | string | null;
  decision: string;
  comment: string | null;
  created_at: string;
}

export interface HistoryFinal {
  result: ResultItem[];
  media?: Media | null;
  method: string;
  /** The deciding reviewer's id (review_fix, adjudication), or null. */
  decided_by: UserRef | string | number | null;
  updated_at: string;
}

export interface TaskHistory {
  task_id?: number;
  /** Every revision of every annotation, oldest first (`revisions` from some servers). */
  items?: HistoryRevision[];
  revisions?: HistoryRevision[];
  reviews?: HistoryReview[];
  final?: HistoryFinal | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  user: UserRef | null;
  action: string;
  project_id: number | null;
  target: string | number | null;
  details: unknown;
}

export interface AuditPage {
  items: AuditEntry[];
  next_cursor: string | null;
}

export interface AuditQuery {
  project?: number;
  limit?: number;
  cursor?: string;
}

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
  /** With `instructions_not_acknowledged`: the version to acknowledge. */
  readonly version?: number;

  constructor(status: number, code: string, message: string, field?: string, line?: number, version?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.line = line;
    this.version = version;
  }
}

// --- golden sets and bake-offs (docs/bakeoffs.md) -------------------------------

export interface GoldenSet {
  id: number;
  project_id: number;
  name: string;
  version: number;
  note: string;
  tasks: number;
  created_by: UserRef;
  created_at: string;
}

export type CandidateKind = 'workforce' | 'vendor';
export type BakeoffFormat = 'json' | 'csv' | 'coco' | 'label_studio';
export type CandidatePricingModel = 'per_label' | 'per_hour' | 'quote';

export interface CandidatePricing {
  model: CandidatePricingModel;
  rate: number;
  currency: string;
}

/** What a bake-off and its report say of a candidate. */
interface CandidateBase {
  id: number;
  name: string;
  kind: CandidateKind;
  workforce_id: number | null;
  format: BakeoffFormat | null;
  pricing: CandidatePricing;
  sent_at: string | null;
  returned_at: string | null;
  labels: number;
}

export interface BakeoffCandidate extends CandidateBase {
  tasks: number;
}

export interface BakeoffWeights {
  accuracy: number;
  speed: number;
  cost: number;
}

export interface Bakeoff {
  id: number;
  project_id: number;
  name: string;
  state: 'open' | 'closed';
  golden_set: GoldenSet;
  instructions_version: number;
  weights: BakeoffWeights;
  created_by: UserRef;
  created_at: string;
  closed_at: string | null;
  candidates: BakeoffCandidate[];
}

export interface NewCandidate {
  kind: CandidateKind;
  name?: string;
  workforce_id?: number;
  format?: BakeoffFormat;
  pricing?: Partial<CandidatePricing>;
}

export interface NewBakeoff {
  name: string;
  golden_set_id: number;
  instructions_version?: number;
  weights?: BakeoffWeights;
  candidates: NewCandidate[];
}

/** A figure with its bootstrap interval; null where undefined. */
export interface Estimate {
  estimate: number | null;
  low: number | null;
  high: number | null;
}

export interface ControlReport {
  control: string;
  type: string;
  tasks: number;
  figures: (Estimate & { metric: string })[];
  classes: { label: string; precision: number; recall: number; f1: number; support: number; ap?: number | null }[];
}

export interface CandidateReport extends CandidateBase {
  coverage: number | null;
  accuracy: { score: Estimate; correct: number; correct_share: Estimate; controls: ControlReport[] };
  worst_tasks: { task_id: number; answered: boolean; score: number; controls: { control: string; score: number | null }[] }[];
  speed: { turnaround_ms: number | null; labels_per_hour: number | null; active_hours: number; labelers: number };
  cost: { currency: string; total: number | null; per_task: number | null; per_correct: number | null };
  off_version_labels: number;
  rank: number;
  rank_score: number;
  relative: { accuracy: number; speed: number; cost: number };
}

export interface BakeoffReport {
  bakeoff: {
    id: number;
    project_id: number;
    project: string;
    name: string;
    state: 'open' | 'closed';
    instructions_version: number;
    created_at: string;
    closed_at: string | null;
    golden_set: { id: number; name: string; version: number; tasks: number };
  };
  weights: BakeoffWeights;
  level: number;
  resamples: number;
  candidates: CandidateReport[];
  ranking: number[];
  comparison: {
    first: number;
    second: number;
    difference: Estimate;
    p_value: number;
    significant: boolean;
    method: string;
    tasks: number;
  } | null;
  generated_at: string;
}


// --- training and qualification (docs/training.md) --------------------------------

export interface TrainingSettings {
  qualification_set_id: number;
  qualification_pass_mark: number;
  qualification_retry_seconds: number;
  qualification_retry_practice: number;
  qualification_min_version: number;
  requalify_on_new_instructions: boolean;
  pause_threshold: number;
  pause_window: number;
  qualification_required?: boolean;
}

export interface PracticeSetItem {
  task_id: number;
  position: number;
  explanation: string;
  anchor: string;
  data: Record<string, unknown>;
  answer: { result: ResultItem[]; media: Media | null } | null;
}

export interface QualificationAttempt {
  id: number;
  project_id: number;
  user_id: number;
  golden_set_id: number;
  instructions_version: number;
  pass_mark: number;
  tasks: number;
  answered: number;
  state: 'open' | 'passed' | 'failed';
  score: number | null;
  passed: boolean | null;
  started_at: string;
  finished_at: string | null;
}

export interface PauseInfo {
  accuracy: number;
  threshold: number;
  window: number;
  wrong_tasks: { task_id: number; score: number }[];
}

export interface TrainingStatus {
  user_id: number;
  required: boolean;
  qualified: boolean;
  paused: boolean;
  reason: 'not_qualified' | 'requalify' | 'paused' | null;
  can_start: boolean;
  retry_at: string | null;
  practice_to_retry: number;
  instructions_version: number;
  practice: { done: number; correct: number; accuracy: number | null };
  tests: { taken: number; last_score: number | null; best_score: number | null };
  passed_at: string | null;
  passed_version: number;
  paused_at: string | null;
  pause: PauseInfo | null;
  time_to_qualify_ms: number | null;
  open_attempt: QualificationAttempt | null;
  attempts: QualificationAttempt[];
}

/** A practice or test task: its data only, never its answer. */
export interface TrainingTask {
  task: Task;
  item?: { position: number; total: number; round: number };
  answered?: number;
  total?: number;
}

export interface PracticeFeedback {
  answer: { id: number; task_id: number; result: ResultItem[]; media: Media | null; score: number; correct: boolean };
  expert: { result: ResultItem[]; media: Media | null };
  controls: { control: string; score: number }[];
  explanation: string;
  instructions: { version: number; anchor: string | null; url: string | null };
}

export interface TrainingLabelerRow {
  user_id: number;
  username: string | null;
  workforce_ids: number[];
  practice_done: number;
  practice_correct: number;
  practice_accuracy: number | null;
  tests_taken: number;
  last_score: number | null;
  best_score: number | null;
  passed: boolean;
  qualified: boolean;
  paused: boolean;
  paused_at: string | null;
  pause: PauseInfo | null;
  time_to_qualify_ms: number | null;
}

export interface TrainingWorkforceRow {
  workforce_id: number;
  name: string;
  labelers: number;
  practiced: number;
  practice_done: number;
  practice_accuracy: number | null;
  tests_taken: number;
  mean_best_score: number | null;
  qualified: number;
  paused: number;
  mean_time_to_qualify_ms: number | null;
}

export interface TrainingOverview {
  settings: TrainingSettings;
  instructions_version: number;
  labelers: TrainingLabelerRow[];
  workforces: TrainingWorkforceRow[];
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
      error?: { code?: string; message?: string; field?: string; line?: number; version?: number };
    };
    const e = body.error ?? {};
    const version = typeof e.version === 'number' ? e.version : undefined;
    return new ApiError(response.status, e.code ?? 'unknown', e.message || fallback, e.field, e.line, version);
  } catch {
    return new ApiError(response.status, 'unknown', fallback);
  }
}

/** A list answer as `{items: [...]}` (api.md's convention) or as a bare array. */
async function list<T>(method: string, path: string): Promise<T[]> {
  const body = await request<T[] | { items?: T[] }>(method, path);
  return Array.isArray(body) ? body : (body?.items ?? []);
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** A report's weights as its query parameters (none: the bake-off's own). */
function weightParams(weights?: BakeoffWeights): Record<string, number> {
  return weights ? {w_accuracy: weights.accuracy, w_speed: weights.speed, w_cost: weights.cost} :
                   {};
}

/** Where an uploaded instructions image is served (docs/instructions.md, Images). */
export function instructionsImageUrl(hash: string): string {
  return `${base}/instructions/images/${hash}`;
}

export const api = {
  trainingSettings: (projectId: number) =>
    request<TrainingSettings>('GET', `/projects/${projectId}/training/settings`),
  saveTrainingSettings: (projectId: number, settings: Partial<TrainingSettings>) =>
    request<TrainingSettings>('PUT', `/projects/${projectId}/training/settings`, { json: settings }),
  practiceSet: (projectId: number) => list<PracticeSetItem>('GET', `/projects/${projectId}/training/practice-set`),
  savePracticeSet: (projectId: number, items: { task_id: number; explanation?: string; anchor?: string }[]) =>
    request<{ items: PracticeSetItem[] }>('PUT', `/projects/${projectId}/training/practice-set`, { json: { items } })
      .then((r) => r.items),
  trainingStatus: (projectId: number, userId?: number) =>
    request<TrainingStatus>('GET', `/projects/${projectId}/training/status${query({ user_id: userId })}`),
  /** null when the project has no practice set. */
  practiceNext: async (projectId: number): Promise<TrainingTask | null> =>
    (await request<TrainingTask | undefined>('POST', `/projects/${projectId}/training/practice/next`)) ?? null,
  practiceAnswer: (projectId: number, body: { task_id: number; result: ResultItem[]; media?: Media; lead_time_ms?: number }) =>
    request<PracticeFeedback>('POST', `/projects/${projectId}/training/practice/answers`, { json: body }),
  startQualification: (projectId: number) =>
    request<QualificationAttempt>('POST', `/projects/${projectId}/training/qualification/attempts`),
  qualificationNext: async (projectId: number, attemptId: number): Promise<TrainingTask | null> =>
    (await request<TrainingTask | undefined>(
      'POST', `/projects/${projectId}/training/qualification/attempts/${attemptId}/next`)) ?? null,
  qualificationAnswer: (projectId: number, attemptId: number,
                        body: { task_id: number; result: ResultItem[]; media?: Media; lead_time_ms?: number }) =>
    request<QualificationAttempt>(
      'POST', `/projects/${projectId}/training/qualification/attempts/${attemptId}/answers`, { json: body }),
  trainingOverview: (projectId: number) =>
    request<TrainingOverview>('GET', `/projects/${projectId}/training/overview`),
  unpauseLabeler: (projectId: number, userId: number) =>
    request<TrainingStatus>('POST', `/projects/${projectId}/training/labelers/${userId}/unpause`),
  listMlBackends: (projectId: number) =>
    request<{ items: MlBackend[] }>('GET', `/projects/${projectId}/ml-backends`),
  createMlBackend: (projectId: number, backend: NewMlBackend) =>
    request<MlBackend>('POST', `/projects/${projectId}/ml-backends`, { json: backend }),
  updateMlBackend: (id: number, patch: NewMlBackend) =>
    request<MlBackend>('PATCH', `/ml-backends/${id}`, { json: patch }),
  deleteMlBackend: (id: number) => request<void>('DELETE', `/ml-backends/${id}`),
  testMlBackend: (id: number) => request<{ queued: boolean }>('POST', `/ml-backends/${id}/test`),
  startPrediction: (projectId: number, backendId: number, tasks?: { state?: TaskState; only_missing?: boolean }) =>
    request<PredictionJob>('POST', `/projects/${projectId}/predict`, { json: { backend_id: backendId, tasks } }),
  listPredictionJobs: (projectId: number) =>
    request<{ items: PredictionJob[] }>('GET', `/projects/${projectId}/prediction-jobs`),
  cancelPredictionJob: (id: number) => request<PredictionJob>('POST', `/prediction-jobs/${id}/cancel`),
  automationStats: (projectId: number, range: { from?: string; to?: string } = {}) =>
    request<AutomationStats>('GET', `/projects/${projectId}/automation/stats${query({ ...range })}`),
  getSpanPrelabeler: (projectId: number) =>
    request<SpanPrelabeler>('GET', `/projects/${projectId}/span-prelabeler`),
  saveSpanPrelabeler: (projectId: number, config: NewSpanPrelabeler) =>
    request<SpanPrelabeler>('PUT', `/projects/${projectId}/span-prelabeler`, { json: config }),
  deleteSpanPrelabeler: (projectId: number) =>
    request<void>('DELETE', `/projects/${projectId}/span-prelabeler`),

  login: (username: string, password: string) =>
      request<{user: User}>('POST', '/auth/login', {json: {username, password}}),
  logout: () => request<void>('POST', '/auth/logout'),
  me: () => request<User>('GET', '/me'),
  createToken: (name?: string) => request<Token>('POST', '/tokens', {json: {name}}),

  createUser: (username: string, password: string, role: Role) =>
      request<User>('POST', '/users', {json: {username, password, role}}),
  listUsers: () => request<{items: User[]}>('GET', '/users'),

  listProjects: () => request<{items: Project[]}>('GET', '/projects'),
  createProject: (project: NewProject) => request<Project>('POST', '/projects', {json: project}),
  getProject: (id: number) => request<Project>('GET', `/projects/${id}`),
  updateProject: (id: number, patch: ProjectPatch) =>
      request<Project>('PATCH', `/projects/${id}`, {json: patch}),
  deleteProject: (id: number) => request<void>('DELETE', `/projects/${id}`),
  addMember: (id: number, userId: number) =>
      request<void>('POST', `/projects/${id}/members`, {json: {user_id: userId}}),
  listMembers: (id: number) => request<{items: User[]}>('GET', `/projects/${id}/members`),
  progress: (id: number) => request<Progress>('GET', `/projects/${id}/progress`),

  importTasks: (id: number, body: Blob|string, contentType: string, format?: LabelFormat) =>
      request<ImportOutcome>('POST', `/projects/${id}/tasks${format ? query({format}) : ''}`, {
        body,
        headers: {'Content-Type': contentType},
      }),
  listTasks: (id: number, q: TaskQuery = {}) =>
      request<TaskPage>('GET', `/projects/${id}/tasks${query({...q})}`),
  getTask: (id: number) => request<Task>('GET', `/tasks/${id}`),

  /** Resolves to null when nothing is left for the caller (204). */
  next: async(projectId: number): Promise<NextTask|null> =>
      (await request<NextTask|undefined>('POST', `/projects/${projectId}/next`)) ?? null,
  submitAnnotation: (taskId: number, annotation: NewAnnotation, idempotencyKey: string) =>
      request<{annotation: Revision}>('POST', `/tasks/${taskId}/annotations`, {
        json: annotation,
        headers: {'Idempotency-Key': idempotencyKey},
      }),
  skip: (taskId: number, leaseId: number) =>
      request<{skipped: boolean}>('POST', `/tasks/${taskId}/skip`, {json: {lease_id: leaseId}}),
  listAnnotations: (taskId: number) =>
      request<{items: Revision[]}>('GET', `/tasks/${taskId}/annotations`),

  /**
     Resolves to null when no task waits for review (204). Without `stage`, adjudication comes
     first.
   */
  nextReview: async(projectId: number, stage?: ReviewStage): Promise<ReviewItem|null> =>
      (await request<ReviewItem|undefined>('POST', `/projects/${projectId}/review/next`, {
        json: stage ? {stage} : {},
      })) ??
      null,
  review: (taskId: number, review: NewReview) =>
      request<unknown>('POST', `/tasks/${taskId}/review`, {json: review}),

  listWorkforces: () => list<Workforce>('GET', '/workforces'),
  getWorkforce: (id: number) => request<Workforce>('GET', `/workforces/${id}`),
  createWorkforce: (workforce: NewWorkforce) =>
      request<Workforce>('POST', '/workforces', {json: workforce}),
  addWorkforceMember: (id: number, userId: number) =>
      request<unknown>('POST', `/workforces/${id}/members`, {json: {user_id: userId}}),
  removeWorkforceMember: (id: number, userId: number) =>
      request<unknown>('DELETE', `/workforces/${id}/members/${userId}`),
  projectWorkforces: (projectId: number) =>
      list<Workforce>('GET', `/projects/${projectId}/workforces`),
  grantWorkforce: (projectId: number, workforceId: number) => request<unknown>(
      'POST', `/projects/${projectId}/workforces`, {json: {workforce_id: workforceId}}),
  revokeWorkforce: (projectId: number, workforceId: number) =>
      request<unknown>('DELETE', `/projects/${projectId}/workforces/${workforceId}`),

  listBatches: (projectId: number) => list<Batch>('GET', `/projects/${projectId}/batches`),

  listWebhooks: (projectId: number) => list<Webhook>('GET', `/projects/${projectId}/webhooks`),
  /** The secret is in this answer only. */
  createWebhook: async (projectId: number, url: string, events: WebhookEvent[]) => {
    const body = await request<{ webhook?: Webhook; secret: string } & Partial<Webhook>>(
      'POST',
      `/projects/${projectId}/webhooks`,
      { json: { url, events } },
    );
    return { webhook: body.webhook ?? (body as Webhook), secret: body.secret };
  },
  deleteWebhook: (id: number) => request<void>('DELETE', `/webhooks/${id}`),
  deliveries: (webhookId: number) => list<Delivery>('GET', `/webhooks/${webhookId}/deliveries`),

  goldenGrades: (projectId: number) =>
      request<GoldenGrades>('GET', `/projects/${projectId}/golden/grades`),

  analyticsSummary: (projectId: number, range: DateRange) => request<AnalyticsSummary>(
      'GET', `/projects/${projectId}/analytics/summary${query({...range})}`),
  analyticsLabelers: (projectId: number, range: DateRange) =>
      list<LabelerRow>('GET', `/projects/${projectId}/analytics/labelers${query({...range})}`),
  analyticsWorkforces: (projectId: number, range: DateRange) =>
    list<WorkforceRow>('GET', `/projects/${projectId}/analytics/workforces${query({ ...range })}`),
  analyticsInstructions: (projectId: number, range: DateRange) =>
    list<InstructionsVersionRow>('GET', `/projects/${projectId}/analytics/instructions${query({ ...range })}`),
  analyticsTimeseries: (projectId: number, q: TimeseriesQuery) =>
      list<DayRow>('GET', `/projects/${projectId}/analytics/timeseries${query({...q})}`),
  analyticsConfusion: (projectId: number, q: ConfusionQuery) =>
      request<Confusion>('GET', `/projects/${projectId}/analytics/confusion${query({...q})}`),
  /** The same table as CSV (a download link). */
  analyticsCsvUrl:
      (projectId: number, table: AnalyticsTable, q: Record<string, string|number|undefined>) =>
          `${base}/projects/${projectId}/analytics/${table}${query({...q, format: 'csv'})}`,

  samples: (projectId: number, q: SampleQuery) =>
      request<SamplePage>('GET', `/projects/${projectId}/samples${query({...q})}`),
  /** Done tasks become `reviewing`; the others come back in `skipped`. */
  sendToReview: (projectId: number, taskIds: number[]) => request<SendOutcome>(
      'POST', `/projects/${projectId}/review/send`, {json: {task_ids: taskIds}}),
  disagreements: (projectId: number, q: DisagreementQuery) =>
      request<DisagreementPage>('GET', `/projects/${projectId}/disagreements${query({...q})}`),
  sendTopDisagreements: (projectId: number, top: TopDisagreements) =>
      request<{sent: number; task_ids: number[]}>(
          'POST', `/projects/${projectId}/disagreements/review`, {json: top}),

  instructions: (projectId: number) =>
      request<InstructionsState>('GET', `/projects/${projectId}/instructions`),
  instructionsVersions: (projectId: number) =>
      list<InstructionsVersionSummary>('GET', `/projects/${projectId}/instructions/versions`),
  instructionsVersion: (projectId: number, version: number) =>
      request<InstructionsVersion>('GET', `/projects/${projectId}/instructions/${version}`),
  /** Every save is a new version; resolves to it. */
  saveInstructions: (projectId: number, instructions: NewInstructions) =>
      request<InstructionsVersion>(
          'PUT', `/projects/${projectId}/instructions`, {json: instructions}),
  uploadInstructionsImage: (projectId: number, file: Blob) =>
      request<UploadedImage>('POST', `/projects/${projectId}/instructions/images`, {
        body: file,
        headers: {'Content-Type': file.type || 'application/octet-stream'},
      }),
  /** 409 when `version` is no longer the current one. */
  acknowledgeInstructions: (projectId: number, version: number) =>
      request<void>('POST', `/projects/${projectId}/instructions/ack`, {json: {version}}),
  instructionsAcks: (projectId: number) =>
      request<InstructionsAcks>('GET', `/projects/${projectId}/instructions/acks`),
  outdatedTasks: (projectId: number, q: {before?: number; limit?: number; cursor?: string} = {}) =>
      request<TaskPage>('GET', `/projects/${projectId}/instructions/outdated${query({...q})}`),
  reworkOutdated: (projectId: number, body: {before?: number; task_ids?: number[]} = {}) =>
      request<{sent: number}>('POST', `/projects/${projectId}/instructions/rework`, {json: body}),

  createDatasetVersion: (projectId: number, name: string, note?: string) => request<DatasetVersion>(
      'POST', `/projects/${projectId}/versions`, {json: note ? {name, note} : {name}}),
  datasetVersions: (projectId: number) =>
      list<DatasetVersion>('GET', `/projects/${projectId}/versions`),
  datasetDiff: (projectId: number, from: string, to: string) =>
      request<DatasetDiff>('GET', `/projects/${projectId}/versions/diff${query({from, to})}`),
  datasetExportUrl: (projectId: number, name: string, format: 'json'|'jsonl'|'csv') =>
      `${base}/projects/${projectId}/versions/${encodeURIComponent(name)}/export?format=${format}`,

  goldenSets: (projectId: number) => list<GoldenSet>('GET', `/projects/${projectId}/golden-sets`),
  /** Without task ids: every golden task of the project; the next version of `name`. */
  createGoldenSet: (projectId: number, name: string, note?: string, taskIds?: number[]) =>
      request<GoldenSet>('POST', `/projects/${projectId}/golden-sets`, {
        json: {name, ...(note ? {note} : {}), ...(taskIds ? {task_ids: taskIds} : {})},
      }),
  /** Makes a task golden with this expert answer. */
  setGolden: (taskId: number, result: ResultItem[], media?: Media) => request<unknown>(
      'PUT', `/tasks/${taskId}/golden`, {json: {result, ...(media ? {media} : {})}}),
  bakeoffs: (projectId: number) => list<Bakeoff>('GET', `/projects/${projectId}/bakeoffs`),
  bakeoff: (projectId: number, id: number) =>
      request<Bakeoff>('GET', `/projects/${projectId}/bakeoffs/${id}`),
  createBakeoff: (projectId: number, bakeoff: NewBakeoff) =>
      request<Bakeoff>('POST', `/projects/${projectId}/bakeoffs`, {json: bakeoff}),
  updateBakeoff:
      (projectId: number, id: number, patch: {weights?: BakeoffWeights; state?: 'closed'}) =>
          request<Bakeoff>('PATCH', `/projects/${projectId}/bakeoffs/${id}`, {json: patch}),
  bakeoffReport: (projectId: number, id: number, weights?: BakeoffWeights) =>
      request<BakeoffReport>(
          'GET', `/projects/${projectId}/bakeoffs/${id}/report${query(weightParams(weights))}`),
  /** The report as a file: a self-contained HTML page or the JSON. */
  bakeoffReportUrl:
      (projectId: number, id: number, format: 'html'|'json', weights?: BakeoffWeights) =>
          `${base}/projects/${projectId}/bakeoffs/${id}/report${
              query({format, download: 1, ...weightParams(weights)})}`,
  /** The golden tasks without their answers, for a vendor. */
  candidateExportUrl: (projectId: number, id: number, candidateId: number, format: BakeoffFormat) =>
      `${base}/projects/${projectId}/bakeoffs/${id}/candidates/${candidateId}/export?format=${
          format}`,
  importCandidate: (
      projectId: number, id: number, candidateId: number, file: Blob, format: BakeoffFormat) =>
      request<{imported: number; tasks: number; missing: number}>(
          'POST',
          `/projects/${projectId}/bakeoffs/${id}/candidates/${candidateId}/import?format=${format}`,
          {
            body: file,
            headers: {'Content-Type': format === 'csv' ? 'text/csv' : 'application/json'}
          },
          ),

  taskHistory: (taskId: number) => request<TaskHistory>('GET', `/tasks/${taskId}/history`),
  audit: (q: AuditQuery = {}) => request<AuditPage>('GET', `/audit${query({...q})}`),

  exportUrl: (id: number, format: ExportFormat) => `${base}/projects/${id}/export?format=${format}`,

  health: async(): Promise<boolean> => {
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
