import { randomUUID } from 'node:crypto';
import { type Operation, operations } from '../../shared/contract/spec';

/** Every operation of openapi.yaml with a concrete path, for suites that run on every route. */
export function concreteRoutes(values: Record<string, string> = {}): (Operation & { url: string })[] {
  return operations().map((op) => ({
    ...op,
    url: op.path.replace(
      /\{([^}]+)\}/g,
      (_, name: string) => values[name] ?? (name === 'id' ? randomUUID() : 'acme'),
    ),
  }));
}
