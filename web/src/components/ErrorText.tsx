import { ApiError } from '../api';

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

/** An error a form cannot place next to a field, prefixed with the field it names. */
export function withField(error: Error | undefined): Error | string | undefined {
  return error instanceof ApiError && error.field && !error.message.includes(error.field)
    ? `${error.field}: ${error.message}`
    : error;
}
