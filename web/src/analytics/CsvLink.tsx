/** A table's "Download CSV" link: the same call with `format=csv`. */
export function CsvLink({ href, testId }: { href: string; testId?: string }) {
  return (
    <a className="button csv-link" href={href} download data-testid={testId}>
      Download CSV
    </a>
  );
}
