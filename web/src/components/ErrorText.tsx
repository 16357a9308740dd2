/** An error for the user: the server's message, or nothing. */
export function ErrorText({ error, testId }: { error?: Error | string | null; testId?: string }) {
  if (!error) return null;
  const message = typeof error === 'string' ? error : error.message;
  return (
    <p className="error" role="alert" data-testid={testId}>
      {message}
    </p>
  );
}
