import type { DiffLine } from './diff';
import { withContext } from './diff';

const signs = { added: '+', removed: '−', same: ' ' } as const;

/** A line diff as text nodes, added and removed lines marked (never markup). */
export function DiffView({ lines, testId }: { lines: DiffLine[]; testId?: string }) {
  return (
    <pre className="diff" data-testid={testId}>
      {withContext(lines).map((line, index) =>
        line.kind === 'gap' ? (
          <div key={index} className="diff-gap">
            … {line.count} unchanged {line.count === 1 ? 'line' : 'lines'}
          </div>
        ) : (
          <div key={index} className={`diff-line diff-${line.kind}`} data-kind={line.kind}>
            <span className="diff-sign" aria-hidden="true">
              {signs[line.kind]}
            </span>
            {line.text || ' '}
          </div>
        ),
      )}
    </pre>
  );
}
