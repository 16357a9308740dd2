import { useMemo } from 'react';
import { renderMarkdown } from './markdown';

/** Markdown of the instructions, rendered and sanitized (markdown.ts says what is kept). */
export function Markdown({ source, className = '', testId }: { source: string; className?: string; testId?: string }) {
  const html = useMemo(() => renderMarkdown(source), [source]);
  // The only innerHTML of the UI: DOMPurify's output, never the Markdown's own HTML.
  return <div className={`markdown ${className}`.trim()} data-testid={testId} dangerouslySetInnerHTML={{ __html: html }} />;
}
