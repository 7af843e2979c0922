import { fileURLToPath } from 'node:url';
import { Duration, type aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { kebab } from '../../shared/contract/planes';
import type { Operation } from '../../shared/contract/spec';
import { accessOf, OPERATION_SIZING, readsAdminSecret } from '../permissions';
import { addAuthRejectedFilter } from './monitoring';
import type { RegistryData } from './registry-data';
import { RegistryFunction } from './registry-function';

/** `functions/<kebab(operationId)>/handler.ts`: the one entry point of an operation. */
export function entryOf(operationId: string): string {
  return fileURLToPath(new URL(`../../functions/${kebab(operationId)}/handler.ts`, import.meta.url));
}

export function pascal(operationId: string): string {
  return operationId.charAt(0).toUpperCase() + operationId.slice(1);
}

export interface EndpointFunctionsProps {
  /** The operations of openapi.yaml (`operations()`). */
  readonly operations: readonly Operation[];
  readonly data: RegistryData;
  /** Passed to every function as TENANT_REGISTRY_API_ENABLED. */
  readonly apiEnabled: boolean;
  /** Passed to every function as TENANT_REGISTRY_STAGE (the `stage` of its auth.rejected lines). */
  readonly stage: string;
  /** Reserved concurrency of an operation's function. @default none for every operation */
  readonly reservedConcurrency?: (op: Operation) => number | undefined;
  /**
   * Variables of the tenant-plane functions only (the tenant selection settings,
   * `tenantSelectionEnvironment()`). @default none
   */
  readonly tenantEnvironment?: Readonly<Record<string, string>>;
  /** Memory of a function that OPERATION_SIZING does not size. @default 512 */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One function per operation, each with exactly the grants its entry in OPERATION_ACCESS gives,
 * and the metric filter that counts its plane's rejected credentials.
 */
export class EndpointFunctions extends Construct {
  /** By operationId. */
  readonly byOperation: ReadonlyMap<string, RegistryFunction>;

  constructor(scope: Construct, id: string, props: EndpointFunctionsProps) {
    super(scope, id);
    const byOperation = new Map<string, RegistryFunction>();
    for (const op of props.operations) {
      const access = accessOf(op.operationId);
      const sizing = OPERATION_SIZING[op.operationId] ?? {};
      const reserved = props.reservedConcurrency?.(op);
      const fn = new RegistryFunction(this, pascal(op.operationId), {
        entry: entryOf(op.operationId),
        description: `Tenant Registry ${op.method} ${op.path} (${op.operationId})`,
        memorySize: sizing.memorySize ?? props.memorySize ?? 512,
        timeout: Duration.seconds(sizing.timeoutSeconds ?? 10),
        ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
        environment: {
          TENANT_REGISTRY_API_ENABLED: String(props.apiEnabled),
          TENANT_REGISTRY_STAGE: props.stage,
          ...(op.plane === 'tenant' ? props.tenantEnvironment : {}),
        },
        ...(reserved === undefined ? {} : { reservedConcurrency: reserved }),
      });
      addAuthRejectedFilter(fn, op.plane);
      props.data.grant(fn.function, access);
      if (readsAdminSecret(op.operationId, op.plane)) props.data.grantAdminTokenRead(fn.function);
      byOperation.set(op.operationId, fn);
    }
    this.byOperation = byOperation;
  }

  get all(): RegistryFunction[] {
    return [...this.byOperation.values()];
  }
}
