import type { Construct } from 'constructs';
import { type JobName, jobAccessOf } from '../permissions';
import type { RegistryData } from './registry-data';
import { RegistryFunction, type RegistryFunctionProps } from './registry-function';

/**
 * A function that is not an operation (the alias reconciler, a stream consumer, a webhook sender,
 * an export), with exactly the grants of its entry in JOB_ACCESS (lib/permissions.ts). Its
 * construct id is that entry's name, which is how test/integration/least-privilege.test.ts and
 * test/infra/permissions.test.ts find its role in the template.
 */
export function jobFunction(
  scope: Construct,
  name: JobName,
  data: RegistryData,
  props: RegistryFunctionProps,
): RegistryFunction {
  const fn = new RegistryFunction(scope, name, props);
  data.grant(fn.function, jobAccessOf(name));
  return fn;
}
