import { config } from '../config/env';
import { LOG_LEVELS, type LogLevel } from './log-levels';

/**
 * Structured JSON logging: one line per entry, `level`, `message`, `timestamp`, `service`, the
 * request's keys (request id, operation) and the entry's own fields. Deliberately small: a
 * general logging library costs more bundle bytes (about 21 KB minified) than every other piece
 * of an endpoint but the SDK clients, and these lines are all the product needs. Never give it a
 * credential: the auth code logs reasons only.
 */

type Fields = Record<string, unknown>;

class JsonLogger {
  private keys: Fields = {};

  constructor(
    private readonly service: string,
    private readonly level: () => LogLevel,
  ) {}

  /** Fields that every following line carries, until `resetKeys`. */
  appendKeys(keys: Fields): void {
    this.keys = { ...this.keys, ...keys };
  }

  resetKeys(): void {
    this.keys = {};
  }

  debug(message: string, fields: Fields = {}): void {
    this.write('DEBUG', message, fields);
  }

  info(message: string, fields: Fields = {}): void {
    this.write('INFO', message, fields);
  }

  warn(message: string, fields: Fields = {}): void {
    this.write('WARN', message, fields);
  }

  error(message: string, fields: Fields = {}): void {
    this.write('ERROR', message, fields);
  }

  private write(level: LogLevel, message: string, fields: Fields): void {
    if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(this.level())) return;
    const line = {
      level,
      message,
      timestamp: new Date().toISOString(),
      service: this.service,
      ...this.keys,
      ...fields,
    };
    process.stdout.write(`${JSON.stringify(line, errorsAsObjects)}\n`);
  }
}

/** Errors have no enumerable fields; log what helps an operator. */
function errorsAsObjects(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}

export const logger = new JsonLogger('tenant-registry', () => config().logLevel);
