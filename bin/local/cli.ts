import { ConfigError } from '../../shared/config/env';
import { LocalModeError } from './errors';
import { DataFolderInUseError } from './lock';

/**
 * How `npm start` and `npm run reconcile` report a failure: one line, no stack trace. A failure
 * the user can fix says how; anything else gives its first line.
 */
export function failureLine(command: string, error: unknown): string {
  const known =
    error instanceof LocalModeError || error instanceof ConfigError || error instanceof DataFolderInUseError;
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n').find((line) => line.trim() !== '') ?? 'failed';
  return `${command}: ${known ? first : `${error instanceof Error ? error.name : 'error'}: ${first}`}`;
}
