import type { Attribute, Control } from '../api';

export type ControlType = Control['type'];

export const controlTypes: { type: ControlType; title: string }[] = [
  { type: 'choice', title: 'Choice (the whole item)' },
  { type: 'bbox', title: 'Boxes (image or video)' },
  { type: 'polygon', title: 'Polygons (image)' },
  { type: 'keypoint', title: 'Keypoints (image)' },
  { type: 'span', title: 'Spans (text entities or audio segments)' },
  { type: 'text', title: 'Free text (transcription, caption)' },
  { type: 'rating', title: 'Rating' },
];

/** A control as typed into the create-project form: every option of every type, used by type. */
export interface ControlDraft {
  key: number;
  name: string;
  type: ControlType;
  source: string;
  required: boolean;
  labels: string;
  multiple: boolean;
  overlap: boolean;
  /** bbox: image or video; span: text or audio. */
  media: string;
  max: number;
  maxLength: number;
  /** One per line: `occluded: boolean`, `pose: enum: front, side`, `note: string`. */
  attributes: string;
}

let nextKey = 1;

export function emptyControl(): ControlDraft {
  return {
    key: nextKey++,
    name: '',
    type: 'choice',
    source: '',
    required: true,
    labels: '',
    multiple: false,
    overlap: false,
    media: '',
    max: 5,
    maxLength: 100000,
    attributes: '',
  };
}

export function hasLabels(type: ControlType): boolean {
  return type !== 'text' && type !== 'rating';
}

export function hasAttributes(type: ControlType): boolean {
  return type === 'bbox' || type === 'polygon' || type === 'keypoint' || type === 'span';
}

export function mediaChoices(type: ControlType): string[] {
  if (type === 'bbox') return ['image', 'video'];
  if (type === 'span') return ['text', 'audio'];
  return [];
}

/** The draft with a new type: `required` and `media` take that type's defaults. */
export function withType(draft: ControlDraft, type: ControlType): ControlDraft {
  const region = ['bbox', 'polygon', 'keypoint', 'span'].includes(type);
  return { ...draft, type, required: !region, media: mediaChoices(type)[0] ?? '' };
}

/** Labels one per line; a single line may separate them with commas instead. */
export function parseLabels(text: string): string[] {
  const parts = text.includes('\n') ? text.split('\n') : text.split(',');
  return parts.map((label) => label.trim()).filter((label) => label !== '');
}

/** `name: boolean`, `name: string` or `name: enum: a, b` per line; a bare name is a boolean. */
export function parseAttributes(text: string): Attribute[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [name = '', type = 'boolean', ...rest] = line.split(':').map((part) => part.trim());
      if (type === 'enum') {
        const values = rest
          .join(':')
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== '');
        return { name, type: 'enum', values };
      }
      return { name, type: type as Attribute['type'] };
    });
}

/** The control the server gets: only the options its type takes (others are a 400). */
export function toControl(draft: ControlDraft): Control {
  const base = { name: draft.name.trim(), source: draft.source.trim(), required: draft.required };
  const labels = parseLabels(draft.labels);
  const attributes = parseAttributes(draft.attributes);
  const withAttributes = attributes.length ? { attributes } : {};
  switch (draft.type) {
    case 'choice':
      return { ...base, type: 'choice', labels, multiple: draft.multiple };
    case 'bbox':
      return { ...base, type: 'bbox', labels, media: draft.media === 'video' ? 'video' : 'image', ...withAttributes };
    case 'polygon':
      return { ...base, type: 'polygon', labels, ...withAttributes };
    case 'keypoint':
      return { ...base, type: 'keypoint', labels, ...withAttributes };
    case 'span':
      return {
        ...base,
        type: 'span',
        labels,
        media: draft.media === 'audio' ? 'audio' : 'text',
        overlap: draft.overlap,
        ...withAttributes,
      };
    case 'text':
      return { ...base, type: 'text', max_length: draft.maxLength };
    case 'rating':
      return { ...base, type: 'rating', max: draft.max };
  }
}

/** Where a server error's `field` points in the form. */
export type FieldTarget =
  { kind: 'name' } | { kind: 'overlap' } | { kind: 'control'; index: number; detail: string } | { kind: 'form' };

export function fieldTarget(field: string | undefined): FieldTarget {
  if (field === 'name') return { kind: 'name' };
  if (field?.startsWith('settings')) return { kind: 'overlap' };
  const control = /^schema\.controls\[(\d+)\]\.?(.*)$/.exec(field ?? '');
  if (control) return { kind: 'control', index: Number(control[1]), detail: control[2] ?? '' };
  return { kind: 'form' };
}
