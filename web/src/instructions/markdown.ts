// Instructions are Markdown written by managers and read by every labeler, so
// what they render to is sanitized before it reaches the page: marked turns
// the Markdown into HTML (raw HTML in it passes through), and DOMPurify keeps
// a safe subset of that HTML — no script, no event handler attributes, no
// style, no forms or frames, no javascript: or other non-HTTP URLs.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const marked = new Marked({ gfm: true, breaks: false, async: false });

/**
 * A heading's anchor: its text in lower case, runs of anything but letters,
 * digits, - and _ made one "-". Practice explanations point at headings by
 * it (docs/training.md); the element's id is "instr-" and the anchor, so that
 * no id of the instructions can clobber one of the page's.
 */
export function headingAnchor(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
}

marked.use({
  renderer: {
    heading({ tokens, depth, text }) {
      return `<h${depth} id="instr-${headingAnchor(text)}">${this.parser.parseInline(tokens)}</h${depth}>\n`;
    },
  },
});

// One DOMPurify instance of our own, so that its hooks apply to instructions only.
const purify = DOMPurify(window);

// Links open in a new tab, so that following one never leaves a task half
// labeled, and without an opener or referrer.
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
  if (node.tagName === 'IMG') node.setAttribute('loading', 'lazy');
});

const config = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'option', 'iframe', 'frame', 'object', 'embed', 'link', 'meta', 'base'],
  FORBID_ATTR: ['style', 'srcset', 'action', 'formaction'],
  ALLOW_DATA_ATTR: false,
  // http(s), mailto and relative URLs only (DOMPurify's default also allows
  // ftp, tel and others; instructions need none of them).
  ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i,
};

/** The Markdown as sanitized HTML, ready for an element's innerHTML. */
export function renderMarkdown(markdown: string): string {
  const html = marked.parse(markdown) as string;
  return purify.sanitize(html, config);
}
