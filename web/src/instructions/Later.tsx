// The instructions' reading views for the labeling and review screens, each
// loaded with Markdown and its sanitizer on first use.
import { lazy, Suspense, type ComponentProps } from 'react';

const Gate = lazy(() => import('./Reading').then((m) => ({ default: m.InstructionsGate })));
const Panel = lazy(() => import('./Reading').then((m) => ({ default: m.InstructionsPanel })));

type GateProps = ComponentProps<typeof Gate>;

/** The gate before the next task; a new `version` starts it afresh. */
export function InstructionsGateLater(props: GateProps) {
  return (
    <Suspense fallback={<p className="muted">Loading the instructions…</p>}>
      <Gate key={props.version ?? 'current'} {...props} />
    </Suspense>
  );
}

export function InstructionsPanelLater(props: ComponentProps<typeof Panel>) {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <Panel {...props} />
    </Suspense>
  );
}
