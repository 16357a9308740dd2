// One colour per label index, the same in every control.
const palette = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#9a6324',
  '#469990',
  '#808000',
];

export function labelColor(labels: string[], label: string): string {
  const index = labels.indexOf(label);
  return palette[(index < 0 ? 0 : index) % palette.length]!;
}
