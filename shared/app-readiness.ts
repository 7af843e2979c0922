import { aliasRegistry, secretSource, tenantStore } from './app';

export type Check = 'ok' | 'unreachable';

/** Each dependency answered within the time limit, or not. */
export async function readiness(
  timeoutMs = 2000,
): Promise<{ table: Check; parameters: Check; secret: Check }> {
  const probe = async (fn: () => Promise<void>): Promise<Check> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
        }),
      ]);
      return 'ok';
    } catch {
      return 'unreachable';
    } finally {
      clearTimeout(timer);
    }
  };
  const [table, parameters, secret] = await Promise.all([
    probe(() => tenantStore().ping()),
    probe(() => aliasRegistry().ping()),
    probe(() => secretSource().ping()),
  ]);
  return { table, parameters, secret };
}
